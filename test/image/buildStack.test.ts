import { strict as assert } from "assert";
import { containers, jobOf, jobs, labelsOf, loadStackConfig, runProgram } from "../harness";

const NON_FRAPPE = ["db", "redis-cache", "redis-queue", "proxy"];

describe("a stack that builds its image (whole program)", () => {
    it("wires apps.json and the registry password as secrets and runs every Frappe container on the built digest", async () => {
        const { config } = loadStackConfig("staging");
        const run = await runProgram({
            stack: "staging",
            config,
            secrets: { registryPassword: "ghp_registry_token_123" },
        });
        assert.equal(run.error, undefined, run.error?.message);
        assert.deepEqual(run.rejections, []);

        const builds = run.resources.filter((r) => r.type === "docker-build:index:Image");
        assert.equal(builds.length, 1);
        const build = builds[0];
        // Pushed by a registry export so that PR previews build (the strict mocks refuse anything else).
        assert.equal(build.inputs.push, false);
        assert.deepEqual(build.inputs.exports, [{ registry: {} }]);
        assert.ok(
            build.secretPaths.some((p) => p === "secrets" || p.startsWith("secrets.apps_json")),
            build.secretPaths.join(","),
        );
        assert.ok(
            build.secretPaths.some((p) => p.startsWith("registries")),
            build.secretPaths.join(","),
        );
        const apps = (build.inputs.secrets as Record<string, string>).apps_json;
        assert.match(apps, /"url":\s*"https:\/\/github.com\/frappe\/erpnext"/);
        const args = JSON.stringify(build.inputs.buildArgs);
        assert.doesNotMatch(args, /github.com\/frappe\/erpnext/, "apps.json never travels as a build arg");

        const digest = String(build.state.digest);
        const tag = String(run.outputs.imageTag.value);
        assert.match(tag, /^v15\.88\.1-[0-9a-f]{16}$/);
        assert.equal(run.outputs.imageDigest.value, digest);
        const ref = `ghcr.io/example/erpnext:${tag}@${digest}`;
        assert.equal(run.outputs.imageRef.value, ref);
        assert.deepEqual(build.inputs.tags, [
            `ghcr.io/example/erpnext:${tag}`,
            "ghcr.io/example/erpnext:staging-latest",
        ]);

        const frappe = containers(run).filter((c) => !NON_FRAPPE.includes(labelsOf(c)["frappe.role"]));
        assert.ok(frappe.length >= 7);
        for (const c of frappe) {
            assert.equal(c.inputs.image, ref, c.name);
        }
        const allJobs = jobs(run);
        assert.ok(allJobs.length >= 7);
        // The database guard and the sites job run whatever the backend runs when they start.
        for (const j of allJobs) {
            const job = jobOf(run, j.name.replace(/^frappe-bench-/, ""));
            assert.equal(
                job.image,
                ["db-upgrade", "sites"].includes(job.resource.name.replace(/^frappe-bench-/, "")) ? "{image}" : ref,
                j.name,
            );
        }
        const visible = JSON.stringify(run.resources.map((r) => (r === build ? {} : r.inputs)));
        assert.doesNotMatch(visible, /ghp_registry_token_123/);
    });

    it("gives the same tag for the same apps.json, so a re-deploy builds nothing new", async () => {
        const { config } = loadStackConfig("staging");
        const a = await runProgram({ stack: "staging", config, secrets: { registryPassword: "x" } });
        const b = await runProgram({ stack: "staging", config, secrets: { registryPassword: "y" } });
        assert.equal(a.outputs.imageTag.value, b.outputs.imageTag.value);
        const inputs = (r: typeof a) =>
            JSON.stringify(r.resources.find((x) => x.type === "docker-build:index:Image")?.inputs.buildArgs);
        assert.equal(inputs(a), inputs(b));
    });
});

describe("a build stack with bad apps or a moving production tag (whole program)", () => {
    it("refuses bad apps.json entries by name and registers nothing", async () => {
        const run = await runProgram({
            stack: "staging",
            config: {
                image: "ghcr.io/example/erpnext",
                build: {
                    frappeBranch: "v15.88.1",
                    apps: [
                        { url: "https://github.com/frappe/erpnext", branch: "version-15" },
                        { url: "https://user:tok@github.com/acme/private-app", branch: "v1.0.0" },
                        { url: "https://github.com/frappe/hrms", branch: "main", commit: "abc" },
                    ],
                },
            },
        });
        assert.ok(run.error, "the program refuses");
        assert.deepEqual(run.resources, [], "nothing registered");
        const msg = run.error.message;
        assert.match(msg, /frappe:build\.apps\[0\]\.branch: got "version-15"/);
        assert.match(msg, /frappe:build\.apps\[1\]\.url/);
        assert.match(msg, /frappe:build\.apps\[2\]\.commit: got "abc"/);
        assert.doesNotMatch(msg, /tok@/);
    });

    it("refuses a moving tag in production and registers nothing", async () => {
        const run = await runProgram({
            stack: "production",
            config: { image: "ghcr.io/example/erpnext", tag: "staging-latest" },
        });
        assert.match(run.error?.message ?? "", /frappe:tag: got "staging-latest"/);
        assert.deepEqual(run.resources, []);
    });
});
