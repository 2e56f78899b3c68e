import { strict as assert } from "node:assert";
import {
    buildConfigSchema,
    buildSetupIssues,
    resolveBaseImageTags,
    registryConfigSchema,
    registryHost,
} from "../../components/config/buildSchema";

const SHA = "89abcdef0123456789abcdef0123456789abcdef";

function issuePaths(input: unknown): string[] {
    const result = buildConfigSchema.safeParse(input);
    assert.equal(result.success, false, "expected the input to be rejected");
    return result.error.issues.map((i) => i.path.join("."));
}

describe("buildConfigSchema", () => {
    it("applies defaults, with appsFile defaulting to apps.json", () => {
        assert.deepEqual(buildConfigSchema.parse({ frappeBranch: "v15.49.1" }), {
            appsFile: "apps.json",
            frappePath: "https://github.com/frappe/frappe",
            frappeBranch: "v15.49.1",
            imagePrefix: "frappe",
            platforms: ["linux/amd64"],
            extraTags: [],
        });
    });

    it("keeps every given key and validates inline apps", () => {
        const parsed = buildConfigSchema.parse({
            apps: [
                { url: "https://github.com/frappe/erpnext", branch: "v15.45.1" },
                { url: "https://github.com/acme/custom", branch: "main", commit: SHA, private: true },
            ],
            frappePath: "https://github.com/acme/frappe",
            frappeBranch: "v15.49.1",
            pythonVersion: "3.11",
            nodeVersion: "18.20.2",
            imagePrefix: "ghcr.io/frappe",
            platforms: ["linux/amd64", "linux/arm64"],
            extraTags: ["staging-latest"],
        });
        assert.deepEqual(parsed, {
            apps: [
                { url: "https://github.com/frappe/erpnext", branch: "v15.45.1" },
                { url: "https://github.com/acme/custom", branch: "main", commit: SHA, private: true },
            ],
            frappePath: "https://github.com/acme/frappe",
            frappeBranch: "v15.49.1",
            pythonVersion: "3.11",
            nodeVersion: "18.20.2",
            imagePrefix: "ghcr.io/frappe",
            platforms: ["linux/amd64", "linux/arm64"],
            extraTags: ["staging-latest"],
        });
        assert.equal(parsed.appsFile, undefined);
    });

    it("rejects unknown keys", () => {
        const result = buildConfigSchema.safeParse({ frappeBranch: "v15.49.1", appsJson: "x" });
        assert.equal(result.success, false);
        assert.equal(result.error.issues[0].code, "unrecognized_keys");
    });

    it("puts inline app problems at the entry's path", () => {
        assert.deepEqual(
            issuePaths({
                frappeBranch: "v15.49.1",
                apps: [
                    { url: "https://github.com/frappe/erpnext", branch: "v15.45.1" },
                    { url: "https://user:tok@github.com/frappe/hrms", branch: "version-15" },
                ],
            }),
            ["apps.1.url", "apps.1.branch"],
        );
    });

    for (const branch of ["version-15", "develop", "v15", "feature/x", ""]) {
        it(`refuses frappeBranch ${JSON.stringify(branch)}`, () => {
            const result = buildConfigSchema.safeParse({ frappeBranch: branch });
            assert.equal(result.success, false);
            assert.deepEqual(
                result.error.issues.map((i) => i.path.join(".")),
                ["frappeBranch"],
            );
            assert.match(result.error.issues[0].message, /pinned release/);
        });
    }

    it("requires frappeBranch", () => {
        assert.deepEqual(issuePaths({}), ["frappeBranch"]);
    });

    it("refuses apps together with appsFile", () => {
        assert.deepEqual(issuePaths({ frappeBranch: "v15.49.1", apps: [], appsFile: "apps.json" }), ["appsFile"]);
    });

    it("refuses absolute appsFile paths, bad versions, prefixes, platforms and tags", () => {
        assert.deepEqual(issuePaths({ frappeBranch: "v15.49.1", appsFile: "/etc/apps.json" }), ["appsFile"]);
        assert.deepEqual(issuePaths({ frappeBranch: "v15.49.1", pythonVersion: "3" }), ["pythonVersion"]);
        assert.deepEqual(issuePaths({ frappeBranch: "v15.49.1", nodeVersion: "v20" }), ["nodeVersion"]);
        assert.deepEqual(issuePaths({ frappeBranch: "v15.49.1", imagePrefix: "https://ghcr.io/frappe" }), [
            "imagePrefix",
        ]);
        assert.deepEqual(issuePaths({ frappeBranch: "v15.49.1", platforms: ["linux/s390x"] }), ["platforms.0"]);
        assert.deepEqual(issuePaths({ frappeBranch: "v15.49.1", platforms: [] }), ["platforms"]);
        assert.deepEqual(issuePaths({ frappeBranch: "v15.49.1", platforms: ["linux/amd64", "linux/amd64"] }), [
            "platforms",
        ]);
        assert.deepEqual(issuePaths({ frappeBranch: "v15.49.1", extraTags: ["bad tag"] }), ["extraTags.0"]);
        assert.deepEqual(issuePaths({ frappeBranch: "v15.49.1", frappePath: "git@github.com:frappe/frappe" }), [
            "frappePath",
        ]);
    });
});

describe("registryConfigSchema", () => {
    it("accepts a host with optional port and a user", () => {
        assert.deepEqual(registryConfigSchema.parse({ server: "registry.example.com:5000", username: "ci" }), {
            server: "registry.example.com:5000",
            username: "ci",
        });
    });

    it("rejects URLs, unknown keys and a password in config", () => {
        assert.equal(registryConfigSchema.safeParse({ server: "https://ghcr.io", username: "ci" }).success, false);
        assert.equal(registryConfigSchema.safeParse({ server: "ghcr.io/acme", username: "ci" }).success, false);
        const withPassword = registryConfigSchema.safeParse({ server: "ghcr.io", username: "ci", password: "x" });
        assert.equal(withPassword.success, false);
        assert.equal(withPassword.error.issues[0].code, "unrecognized_keys");
    });
});

describe("registryHost", () => {
    it("resolves Docker Hub shorthands and explicit hosts", () => {
        assert.equal(registryHost("erpnext"), "docker.io");
        assert.equal(registryHost("acme/erpnext"), "docker.io");
        assert.equal(registryHost("docker.io/acme/erpnext"), "docker.io");
        assert.equal(registryHost("ghcr.io/acme/erpnext"), "ghcr.io");
        assert.equal(registryHost("localhost:5000/erpnext"), "localhost:5000");
        assert.equal(registryHost("localhost/erpnext"), "localhost");
    });
});

describe("resolveBaseImageTags (frappe_docker v3.2.2 docker-bake.hcl:103-117)", () => {
    const erpnext = { url: "https://github.com/frappe/erpnext", branch: "v15.88.1" };
    const build = buildConfigSchema.parse({ frappeBranch: "v15.89.0" });

    it("tags build with the ERPNext release and base with the Frappe release", () => {
        assert.deepEqual(resolveBaseImageTags(build, [erpnext]), {
            buildTag: "v15.88.1",
            baseTag: "v15.89.0",
            issues: [],
        });
    });

    it("takes explicit tags over the defaults", () => {
        const b = buildConfigSchema.parse({
            frappeBranch: "v15.89.0",
            buildImageTag: "v15.90.0",
            baseImageTag: "v15.89.1",
        });
        assert.deepEqual(resolveBaseImageTags(b, [erpnext]), { buildTag: "v15.90.0", baseTag: "v15.89.1", issues: [] });
    });

    it("asks for buildImageTag when no erpnext entry names a release", () => {
        for (const apps of [[], [{ ...erpnext, branch: "version-15", commit: "a".repeat(40) }]]) {
            const r = resolveBaseImageTags(build, apps);
            assert.equal(r.buildTag, undefined);
            assert.deepEqual(
                r.issues.map((i) => i.key),
                ["frappe:build.buildImageTag"],
            );
            assert.match(r.issues[0].expected, /ERPNext release.*pulumi config set --path build.buildImageTag/);
        }
    });

    it("refuses tags of another major version than frappeBranch", () => {
        const b = buildConfigSchema.parse({ frappeBranch: "v15.89.0", baseImageTag: "v16.0.0" });
        const r = resolveBaseImageTags(b, [{ ...erpnext, branch: "v14.1.0" }]);
        assert.deepEqual(
            r.issues.map((i) => [i.key, i.value]),
            [
                ["frappe:build.buildImageTag", "v14.1.0"],
                ["frappe:build.baseImageTag", "v16.0.0"],
            ],
        );
    });

    it("refuses moving or malformed image tags in the schema", () => {
        for (const key of ["buildImageTag", "baseImageTag"]) {
            for (const tag of ["latest", "v15", "version-15", "develop", ""]) {
                assert.deepEqual(issuePaths({ frappeBranch: "v15.49.1", [key]: tag }), [key], `${key}=${tag}`);
            }
        }
    });

    it("reaches buildSetupIssues, so load refuses the stack before anything is registered", () => {
        const issues = buildSetupIssues({
            stack: "staging",
            repository: "ghcr.io/acme/erpnext",
            apps: [],
            registryPasswordSet: false,
            gitTokenSet: false,
            build,
        });
        assert.deepEqual(
            issues.map((i) => i.key),
            ["frappe:build.buildImageTag"],
        );
    });
});

describe("buildSetupIssues", () => {
    const base = {
        stack: "staging",
        repository: "ghcr.io/acme/erpnext",
        apps: [{ url: "https://github.com/frappe/erpnext", branch: "v15.45.1" }],
        registry: { server: "ghcr.io", username: "ci" },
        registryPasswordSet: true,
        gitTokenSet: false,
    };

    it("has nothing to say about a complete staging setup", () => {
        assert.deepEqual(buildSetupIssues(base), []);
    });

    it("refuses to build in production, explaining promotion", () => {
        const issues = buildSetupIssues({ ...base, stack: "production" });
        assert.deepEqual(
            issues.map((i) => i.key),
            ["frappe:build"],
        );
        assert.match(issues[0].expected, /npm run promote/);
    });

    it("wants the registry password and a matching server", () => {
        const issues = buildSetupIssues({
            ...base,
            registry: { server: "docker.io", username: "ci" },
            registryPasswordSet: false,
        });
        assert.deepEqual(
            issues.map((i) => i.key),
            ["frappe:registryPassword", "frappe:registry.server"],
        );
        assert.match(issues[1].expected, /ghcr\.io/);
    });

    it("treats Docker Hub aliases as one registry", () => {
        assert.deepEqual(
            buildSetupIssues({
                ...base,
                repository: "acme/erpnext",
                registry: { server: "index.docker.io", username: "ci" },
            }),
            [],
        );
    });

    it("wants a git token when an app is private", () => {
        const apps = [...base.apps, { url: "https://github.com/acme/secret_app", branch: "v1.0.0", private: true }];
        const issues = buildSetupIssues({ ...base, apps });
        assert.deepEqual(
            issues.map((i) => i.key),
            ["frappe:gitToken"],
        );
        assert.match(issues[0].expected, /acme\/secret_app/);
        assert.deepEqual(buildSetupIssues({ ...base, apps, gitTokenSet: true }), []);
    });

    it("does without registry credentials (the host's docker login)", () => {
        assert.deepEqual(buildSetupIssues({ ...base, registry: undefined, registryPasswordSet: false }), []);
    });
});
