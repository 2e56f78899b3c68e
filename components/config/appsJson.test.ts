import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { appNameOf, loadApps, readAppsFile, redactUrl, validateAppsJson } from "./appsJson";

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
                expected: "no such key; an entry has only url, branch, commit, private and name",
            },
            {
                key: "apps.json[0].depth",
                value: 1,
                expected: "no such key; an entry has only url, branch, commit, private and name",
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
                expected: "a JSON array of app entries {url, branch, commit?, private?, name?}",
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

describe("validateAppsJson (app names)", () => {
    it('takes an entry\'s app name from its "name", else from its repository', () => {
        const raw = [
            { url: "https://github.com/acme/erp-customizations", branch: "v1.0.0", name: "acme_custom" },
            { url: "https://github.com/resilient-tech/india-compliance.git", branch: "v15.20.1" },
        ];
        const { apps, issues } = validateAppsJson(raw, "apps.json");
        assert.deepEqual(issues, []);
        assert.deepEqual(apps[0], raw[0]);
        assert.deepEqual(apps.map(appNameOf), ["acme_custom", "india_compliance"]);
    });

    it("refuses a name that is not an app name", () => {
        const raw = [
            { url: "https://github.com/acme/a", branch: "v1.0.0", name: "Acme-Custom" },
            { url: "https://github.com/acme/b", branch: "v1.0.0", name: 7 },
        ];
        const { apps, issues } = validateAppsJson(raw, "apps.json");
        const expected =
            "an app name such as erpnext or hrms (a-z, 0-9, _): the name bench installs the app under, its " +
            "Python package's (pyproject.toml [project] name); leave it out when that is the repository's name";
        assert.deepEqual(issues, [
            { key: "apps.json[0].name", value: "Acme-Custom", expected },
            { key: "apps.json[1].name", value: 7, expected },
        ]);
        assert.deepEqual(apps, []);
    });

    it("refuses two entries with the same app name, declared or derived, and the name frappe", () => {
        const raw = [
            { url: "https://github.com/frappe/hrms", branch: "v15.30.0" },
            { url: "https://github.com/acme/hr-addons", branch: "v1.0.0", name: "hrms" },
            { url: "https://github.com/acme/custom", branch: "v1.0.0", name: "acme_custom" },
            { url: "https://github.com/acme/acme_custom", branch: "v2.0.0" },
            { url: "https://github.com/acme/framework", branch: "v1.0.0", name: "frappe" },
        ];
        const { issues } = validateAppsJson(raw, "apps.json");
        assert.deepEqual(issues, [
            {
                key: "apps.json[1].name",
                value: "hrms",
                expected: 'each app once; entry [0] already installs "hrms" (bench would install both into apps/hrms)',
            },
            {
                key: "apps.json[3].url",
                value: "https://github.com/acme/acme_custom",
                expected:
                    'each app once; entry [2] already installs "acme_custom" (bench would install both into apps/acme_custom)',
            },
            {
                key: "apps.json[4].name",
                value: "frappe",
                expected: "an app other than frappe; the framework comes from frappe:build.frappePath and frappeBranch",
            },
        ]);
    });
});

describe("validateAppsJson (where bench clones)", () => {
    it("refuses an entry bench would clone onto an app already installed, and accepts one renamed away", () => {
        const raw = [
            { url: "https://github.com/acme/tools", branch: "v1.0.0" },
            { url: "https://github.com/other/tools", branch: "v1.0.0", name: "other_tools" },
            { url: "https://github.com/acme/frappe", branch: "v1.0.0", name: "acme_frappe" },
        ];
        const { issues } = validateAppsJson(raw, "apps.json");
        assert.deepEqual(issues, [
            {
                key: "apps.json[1].url",
                value: "https://github.com/other/tools",
                expected:
                    "a repository bench can clone: it clones this one into apps/tools before naming it other_tools, " +
                    "and entry [0] is already installed there",
            },
            {
                key: "apps.json[2].url",
                value: "https://github.com/acme/frappe",
                expected:
                    "a repository bench can clone: it clones this one into apps/frappe before naming it acme_frappe, " +
                    "and frappe itself is already installed there",
            },
        ]);
        // The first clone is renamed to its package's name, so a second repository of that name clones freely.
        const renamed = [
            { url: "https://github.com/acme/tools", branch: "v1.0.0", name: "acme_tools" },
            { url: "https://github.com/other/tools", branch: "v1.0.0", name: "other_tools" },
        ];
        assert.deepEqual(validateAppsJson(renamed, "apps.json").issues, []);
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
