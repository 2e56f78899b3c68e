import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { loadApps, readAppsFile, redactUrl, validateAppsJson } from "./appsJson";

const SHA = "0123456789abcdef0123456789abcdef01234567";

describe("validateAppsJson", () => {
    it("accepts release tags, commit-pinned branches and private entries", () => {
        const raw = [
            { url: "https://github.com/frappe/erpnext", branch: "v15.45.1" },
            { url: "https://github.com/frappe/hrms.git", branch: "version-15", commit: SHA },
            {
                url: "https://gitlab.example.com/acme/group/custom_app",
                branch: "feature/x",
                commit: SHA,
                private: true,
            },
            { url: "https://github.com/acme/plain", branch: "2.6.4", private: false },
        ];
        const { apps, issues } = validateAppsJson(raw, "apps.json");
        assert.deepEqual(issues, []);
        assert.deepEqual(apps, [
            { url: "https://github.com/frappe/erpnext", branch: "v15.45.1" },
            { url: "https://github.com/frappe/hrms.git", branch: "version-15", commit: SHA },
            {
                url: "https://gitlab.example.com/acme/group/custom_app",
                branch: "feature/x",
                commit: SHA,
                private: true,
            },
            { url: "https://github.com/acme/plain", branch: "2.6.4" },
        ]);
    });

    it("accepts an empty list (a frappe-only image)", () => {
        assert.deepEqual(validateAppsJson([], "apps.json"), { apps: [], issues: [] });
    });

    for (const moving of ["version-15", "main", "master", "develop", "nightly", "v15", "latest", "version-15-hotfix"]) {
        it(`refuses the moving ref ${moving} without a commit, naming the entry`, () => {
            const raw = [
                { url: "https://github.com/frappe/erpnext", branch: "v15.45.1" },
                { url: "https://github.com/frappe/payments", branch: "v0.1.2" },
                { url: "https://github.com/frappe/hrms", branch: moving },
            ];
            const { apps, issues } = validateAppsJson(raw, "apps.json");
            assert.equal(issues.length, 1);
            assert.equal(issues[0].key, "apps.json[2].branch");
            assert.equal(issues[0].value, moving);
            assert.match(issues[0].expected, /pinned release/);
            assert.match(issues[0].expected, /"commit"/);
            assert.equal(apps.length, 2);
        });
    }

    it("refuses branch names that are not release tags unless a commit pins them", () => {
        const { issues } = validateAppsJson(
            [{ url: "https://github.com/acme/app", branch: "feature/login" }],
            "frappe:build.apps",
        );
        assert.deepEqual(
            issues.map((i) => i.key),
            ["frappe:build.apps[0].branch"],
        );
        assert.match(issues[0].expected, /release tag such as v15\.45\.1/);
    });

    it("refuses credentials in URLs without echoing them", () => {
        const raw = [
            { url: "https://oauth2:glpat-SEKRET123@gitlab.com/acme/app", branch: "v1.0.0" },
            { url: "https://ghp_SEKRET456@github.com/acme/other", branch: "v1.0.0" },
        ];
        const { apps, issues } = validateAppsJson(raw, "apps.json");
        assert.deepEqual(
            issues.map((i) => i.key),
            ["apps.json[0].url", "apps.json[1].url"],
        );
        assert.deepEqual(
            issues.map((i) => i.value),
            ["https://***@gitlab.com/acme/app", "https://***@github.com/acme/other"],
        );
        assert.ok(!JSON.stringify(issues).includes("SEKRET"));
        assert.match(issues[0].expected, /frappe:gitToken|gitToken/);
        assert.deepEqual(apps, []);
    });
});

describe("validateAppsJson (refusals)", () => {
    it("refuses non-https, malformed and too short URLs", () => {
        const raw = [
            { url: "http://github.com/acme/app", branch: "v1.0.0" },
            { url: "git@github.com:acme/app.git", branch: "v1.0.0" },
            { url: "https://github.com/app", branch: "v1.0.0" },
            { url: "https://github.com/acme/app?ref=x", branch: "v1.0.0" },
            { url: " https://github.com/acme/app", branch: "v1.0.0" },
            { url: 42, branch: "v1.0.0" },
        ];
        const { issues } = validateAppsJson(raw, "apps.json");
        assert.deepEqual(
            issues.map((i) => i.key),
            [0, 1, 2, 3, 4, 5].map((i) => `apps.json[${i}].url`),
        );
    });

    it("rejects unknown keys, hiding values of secret-looking ones", () => {
        const raw = [{ url: "https://github.com/acme/app", branch: "v1.0.0", token: "abc", depth: 1 }];
        const { apps, issues } = validateAppsJson(raw, "apps.json");
        assert.deepEqual(issues, [
            {
                key: "apps.json[0].token",
                value: "***",
                expected: "no such key; an entry has only url, branch, commit and private",
            },
            {
                key: "apps.json[0].depth",
                value: 1,
                expected: "no such key; an entry has only url, branch, commit and private",
            },
        ]);
        assert.deepEqual(apps, []);
    });

    it("checks commit and private types", () => {
        const raw = [
            { url: "https://github.com/acme/a", branch: "main", commit: "abc123" },
            { url: "https://github.com/acme/b", branch: "main", commit: SHA.toUpperCase() },
            { url: "https://github.com/acme/c", branch: "v1.0.0", private: "yes" },
        ];
        const { issues } = validateAppsJson(raw, "apps.json");
        assert.deepEqual(
            issues.map((i) => i.key),
            ["apps.json[0].commit", "apps.json[1].commit", "apps.json[2].private"],
        );
    });

    it("refuses the same app twice, also from a fork, and frappe itself", () => {
        const raw = [
            { url: "https://github.com/frappe/hrms", branch: "v15.30.0" },
            { url: "https://github.com/acme/HRMS.git", branch: "v15.30.1" },
            { url: "https://github.com/frappe/frappe", branch: "v15.49.1" },
        ];
        const { issues } = validateAppsJson(raw, "apps.json");
        assert.deepEqual(
            issues.map((i) => i.key),
            ["apps.json[1].url", "apps.json[2].url"],
        );
        assert.match(issues[0].expected, /entry \[0\] already installs "hrms"/);
        assert.match(issues[1].expected, /frappePath/);
    });

    it("reports a non-array and non-object entries", () => {
        assert.deepEqual(validateAppsJson({ url: "x" }, "apps.json").issues, [
            {
                key: "apps.json",
                value: "an object",
                expected: "a JSON array of app entries {url, branch, commit?, private?}",
            },
        ]);
        const { issues } = validateAppsJson(["https://u:SEKRET@github.com/a/b", null], "apps.json");
        assert.deepEqual(
            issues.map((i) => [i.key, i.value]),
            [
                ["apps.json[0]", "https://***@github.com/a/b"],
                ["apps.json[1]", null],
            ],
        );
    });
});

describe("redactUrl", () => {
    it("hides user info in parseable and unparseable URLs", () => {
        assert.equal(redactUrl("https://a:b@h.example/x/y"), "https://***@h.example/x/y");
        assert.equal(redactUrl("https://h.example/x/y"), "https://h.example/x/y");
        assert.equal(redactUrl("notaurl//tok@h/x"), "notaurl//***@h/x");
    });
});

describe("readAppsFile / loadApps", () => {
    let dir: string;
    beforeEach(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "apps-json-"));
    });
    afterEach(() => {
        fs.rmSync(dir, { recursive: true, force: true });
    });

    it("names a missing file", () => {
        const { raw, issues } = readAppsFile(path.join(dir, "nope.json"), "nope.json");
        assert.equal(raw, undefined);
        assert.equal(issues.length, 1);
        assert.equal(issues[0].key, "nope.json");
        assert.match(String(issues[0].value), /^ENOENT at /);
    });

    it("names a file that is not JSON without echoing its text", () => {
        const file = path.join(dir, "apps.json");
        fs.writeFileSync(file, '[{"url": "https://u:SEKRET@github.com/a/b",]');
        const { issues } = readAppsFile(file);
        assert.equal(issues.length, 1);
        assert.equal(issues[0].key, file);
        assert.match(issues[0].expected, /valid JSON/);
        assert.ok(!JSON.stringify(issues).includes("SEKRET"));
    });

    it("reads a file with a byte order mark", () => {
        const file = path.join(dir, "apps.json");
        fs.writeFileSync(file, '\uFEFF[{"url": "https://github.com/frappe/erpnext", "branch": "v15.45.1"}]');
        assert.deepEqual(readAppsFile(file), {
            raw: [{ url: "https://github.com/frappe/erpnext", branch: "v15.45.1" }],
            issues: [],
        });
    });

    it("loads appsFile relative to the project root and labels issues with it", () => {
        fs.mkdirSync(path.join(dir, "cfg"));
        fs.writeFileSync(
            path.join(dir, "cfg", "apps.json"),
            JSON.stringify([{ url: "https://github.com/frappe/hrms", branch: "develop" }]),
        );
        const { apps, issues } = loadApps({ appsFile: "cfg/apps.json" }, dir);
        assert.deepEqual(apps, []);
        assert.deepEqual(
            issues.map((i) => i.key),
            ["cfg/apps.json[0].branch"],
        );
    });

    it("prefers inline apps and does not touch the disk", () => {
        const inline = [{ url: "https://github.com/frappe/erpnext", branch: "v15.45.1" }];
        assert.deepEqual(loadApps({ apps: inline }, path.join(dir, "does-not-exist")), { apps: inline, issues: [] });
    });

    it("validates the repository's own apps.json", () => {
        const { apps, issues } = loadApps({ appsFile: "apps.json" }, path.resolve(__dirname, "..", ".."));
        assert.deepEqual(issues, []);
        assert.ok(apps.length >= 1);
        assert.ok(apps.some((a) => a.url === "https://github.com/frappe/erpnext"));
    });
});
