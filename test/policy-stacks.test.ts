import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { parse as parseYaml } from "yaml";
import { CONTAINER, policies, VOLUME } from "../policy/policies";
import { allViolations, type ResourceUnderTest } from "../policy/testing";
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

/** Every registered resource through every policy; also refuses to pass vacuously. */
async function expectNoViolations(stack: Stack, result: ProgramRun): Promise<void> {
    const resources = result.resources.filter((r) => r.registered);
    assert.ok(
        resources.some((r) => r.type === CONTAINER),
        `no containers in ${stack}`,
    );
    assert.ok(
        resources.some((r) => r.type === VOLUME),
        `no volumes in ${stack}`,
    );
    const found = await allViolations(
        policies,
        resources.map((r) => underTest(stack, r)),
    );
    assert.deepEqual(found, []);
}

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
});
