import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { parse as parseYaml } from "yaml";
import { CONTAINER, policies, SERVICE, stackPolicies, upstreamImagesByTag, VOLUME } from "../policy/policies";
import { allViolations, type ResourceUnderTest, stackViolations } from "../policy/testing";
import { applyPromotion, DIGEST_KEY, IMAGE_KEY, parseStackOutputs, TAG_KEY } from "../scripts/promote";
import { type CapturedResource, loadStackConfig, type ProgramRun, REPO_ROOT, runProgram } from "./harness";

type Stack = "staging" | "production";

/**
 * Secrets the stack files document as "set once with pulumi config set --secret" and therefore do not
 * contain; stand-ins let the program run as it does for an operator who followed those comments.
 */
const OPERATOR_SECRETS: Record<Stack, readonly string[]> = {
    staging: ["registryPassword"],
    production: ["resticPassword", "s3AccessKeyId", "s3SecretAccessKey"],
};

async function run(stack: Stack, overrides: Record<string, unknown> = {}): Promise<ProgramRun> {
    const { config, secrets } = loadStackConfig(stack);
    const standIns = Object.fromEntries(OPERATOR_SECRETS[stack].map((k) => [k, `test-${k}`]));
    const result = await runProgram({
        stack,
        config: { ...config, ...overrides },
        secrets: { ...standIns, ...secrets },
    });
    assert.equal(result.error, undefined, result.error?.message);
    return result;
}

function underTest(stack: string, r: CapturedResource): ResourceUnderTest {
    return {
        type: r.type,
        name: r.name,
        stack,
        props: r.inputs,
        urn: `urn:pulumi:${stack}::frappe::${r.type}::${r.name}`,
        opts: {
            protect: r.opts.protect,
            ignoreChanges: r.opts.ignoreChanges,
            deleteBeforeReplace: r.opts.deleteBeforeReplace,
            additionalSecretOutputs: r.opts.additionalSecretOutputs,
            parent: r.opts.parent,
        },
    };
}

const MANDATORY = policies.filter((p) => p.enforcementLevel === "mandatory");

function registered(stack: string, result: ProgramRun): ResourceUnderTest[] {
    return result.resources.filter((r) => r.registered).map((r) => underTest(stack, r));
}

/**
 * Every registered resource through every mandatory policy (advisory reports never block a deployment; the
 * upstream-image report is checked on its own below); also refuses to pass vacuously.
 */
async function expectNoViolations(stack: Stack, result: ProgramRun, workload = CONTAINER): Promise<void> {
    const resources = registered(stack, result);
    assert.ok(
        resources.some((r) => r.type === workload),
        `no ${workload} in ${stack}`,
    );
    assert.ok(
        resources.some((r) => r.type === VOLUME),
        `no volumes in ${stack}`,
    );
    assert.deepEqual(await allViolations(MANDATORY, resources), []);
    assert.ok(
        resources.some((r) => JSON.stringify(r.props).includes('"frappe.role","value":"proxy"')),
        `no proxy in ${stack}: the stack rules would pass vacuously`,
    );
    for (const p of stackPolicies.filter((x) => x.enforcementLevel === "mandatory")) {
        assert.deepEqual(await stackViolations(p, resources), [], p.name);
    }
}

/** A Swarm cluster for the shipped stack files (the sites volume on NFS, as docs/swarm.md shows). */
const SWARM = {
    swarm: {
        sitesVolume: { options: { type: "nfs", o: "addr=10.0.0.5,nfsvers=4,rw", device: ":/exports/frappe-sites" } },
    },
};

/**
 * What deploy-production does before `pulumi up`: `npm run promote` copies staging's image outputs into
 * Pulumi.production.yaml. Done here with the promote script's own functions on the mocked staging run.
 */
function promotedProductionKeys(staging: ProgramRun): Record<string, unknown> {
    const outputs = Object.fromEntries(Object.entries(staging.outputs).map(([k, v]) => [k, v.value]));
    const promotion = parseStackOutputs(outputs, "staging (mocked)");
    const file = path.join(REPO_ROOT, "Pulumi.production.yaml");
    const { text } = applyPromotion(fs.readFileSync(file, "utf8"), promotion);
    const config = (parseYaml(text) as { config: Record<string, unknown> }).config;
    const bare = (key: string) => key.slice(key.indexOf(":") + 1);
    return Object.fromEntries([IMAGE_KEY, TAG_KEY, DIGEST_KEY].map((k) => [bare(k), config[k]]));
}

describe("shipped stacks pass the policy pack", () => {
    it("Pulumi.staging.yaml: every registered resource, every policy, no violation", async () => {
        await expectNoViolations("staging", await run("staging"));
    });

    it("Pulumi.production.yaml as committed: every registered resource, every policy, no violation", async () => {
        await expectNoViolations("production", await run("production"));
    });

    it("Pulumi.production.yaml after npm run promote: every registered resource, every policy, no violation", async () => {
        const promoted = promotedProductionKeys(await run("staging"));
        assert.match(String(promoted.digest), /^sha256:[a-f0-9]{64}$/);
        await expectNoViolations("production", await run("production", promoted));
    });

    it("the same production on Swarm: the same verdict, for services as for containers", async () => {
        const promoted = promotedProductionKeys(await run("staging", SWARM));
        await expectNoViolations("production", await run("production", { ...promoted, ...SWARM }), SERVICE);
    });

    it("on Swarm too, an unpinned bench image is refused in production", async () => {
        const result = await run("production", { ...SWARM, digest: undefined });
        const found = await allViolations(MANDATORY, registered("production", result));
        assert.ok(found.length > 0);
        for (const v of found) {
            assert.match(
                v,
                /^production-images-pinned-by-digest: service "[^"]+" \(.*\) runs image "[^"]+:v15\.88\.1-b04d1582dde8013e" without a digest/,
            );
        }
    });

    it("says, for each upstream image production runs by tag, why it may float: on one host and on Swarm", async () => {
        for (const overrides of [{}, SWARM]) {
            const found = await allViolations(
                [upstreamImagesByTag],
                registered("production", await run("production", overrides)),
            );
            assert.deepEqual(
                found.map((v) => /role ([a-z-]+)\) runs "([^"]+)" by tag: allowed because/.exec(v)?.slice(1)),
                [
                    ["db", "mariadb:11.8"],
                    ["redis-cache", "redis:8.6-alpine"],
                    ["redis-queue", "redis:8.6-alpine"],
                    ["proxy", "traefik:v3.6"],
                ],
            );
        }
        assert.deepEqual(await allViolations([upstreamImagesByTag], registered("staging", await run("staging"))), []);
    });
});
