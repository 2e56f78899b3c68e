import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { parse as parseYaml } from "yaml";
import { formatIssues } from "../components/config/issues";
import { parseStackConfig } from "../components/config/load";
import { containers, jobs, labelsOf, loadStackConfig, REPO_ROOT, runProgram } from "./harness";

/** The one-time secrets each shipped stack's header comment tells the operator to set. */
const DOCUMENTED_SECRETS: Record<string, Record<string, string>> = {
    staging: { registryPassword: "registry-token" },
    production: { resticPassword: "restic", s3AccessKeyId: "key-id", s3SecretAccessKey: "key" },
};

for (const stack of ["staging", "production"]) {
    describe(`shipped stack Pulumi.${stack}.yaml`, () => {
        const file = path.join(REPO_ROOT, `Pulumi.${stack}.yaml`);

        it("is YAML with only frappe: and docker: keys", () => {
            const doc = parseYaml(fs.readFileSync(file, "utf8")) as { config: Record<string, unknown> };
            for (const key of Object.keys(doc.config)) {
                assert.match(key, /^(frappe|docker):/);
            }
        });

        it("passes the schema once its documented secrets are set", () => {
            const { config, secrets } = loadStackConfig(stack);
            const header = fs.readFileSync(file, "utf8");
            for (const key of Object.keys(DOCUMENTED_SECRETS[stack])) {
                assert.match(
                    header,
                    new RegExp(`pulumi config set --secret ${key} `),
                    `${key} is documented in the file`,
                );
            }
            const all = { ...secrets, ...DOCUMENTED_SECRETS[stack] };
            const entries: Record<string, string> = {};
            for (const [k, v] of Object.entries({ ...config, ...all })) {
                entries[k.includes(":") ? k : `frappe:${k}`] = typeof v === "string" ? v : JSON.stringify(v);
            }
            const r = parseStackConfig({
                stack,
                entries,
                isSecret: (k) => Object.keys(all).some((s) => k === `frappe:${s}`),
                projectRoot: REPO_ROOT,
            });
            assert.deepEqual(r.issues, [], formatIssues(r.issues));
        });

        it("deploys under the mocks with no provider rejection", async () => {
            const { config, secrets } = loadStackConfig(stack);
            const run = await runProgram({ stack, config, secrets: { ...secrets, ...DOCUMENTED_SECRETS[stack] } });
            assert.equal(run.error, undefined, run.error?.message);
            assert.deepEqual(run.rejections, []);
            assert.ok(containers(run).length >= 10);
            assert.ok(jobs(run).length >= 7);
            for (const c of containers(run)) {
                assert.equal(labelsOf(c)["frappe.stack"], stack);
            }
        });
    });
}

describe("stack differences", () => {
    it("staging builds its image; production runs a pinned tag and never builds", async () => {
        const staging = loadStackConfig("staging");
        assert.ok(staging.config.build, "staging builds");
        const production = loadStackConfig("production");
        assert.equal(production.config.build, undefined);
        const run = await runProgram({
            stack: "production",
            config: production.config,
            secrets: DOCUMENTED_SECRETS.production,
        });
        assert.equal(run.resources.filter((r) => r.type === "docker-build:index:Image").length, 0);
        const tag = String(production.config.tag);
        const digest = production.config.digest as string | undefined;
        assert.equal(
            run.outputs.imageRef.value,
            `${String(production.config.image)}:${tag}${digest ? `@${digest}` : ""}`,
        );
    });
});
