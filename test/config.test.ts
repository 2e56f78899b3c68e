import { strict as assert } from "assert";
import { ConfigIssue, ConfigError, formatIssues } from "../components/config/issues";
import * as pulumi from "@pulumi/pulumi";
import { ConfigSource, configSecretCheck, parseStackConfig, StackConfig } from "../components/config/load";
import { REPO_ROOT, runProgram } from "./harness";

/** A ConfigSource from plain values, as the Pulumi runtime would hand them over. */
function source(
    config: Record<string, unknown>,
    opts: { stack?: string; secrets?: Record<string, string>; plainSecrets?: Record<string, string> } = {},
): ConfigSource {
    const entries: Record<string, string> = {};
    const secret = new Set<string>();
    for (const [k, v] of Object.entries(config)) {
        entries[k.includes(":") ? k : `frappe:${k}`] = typeof v === "string" ? v : JSON.stringify(v);
    }
    for (const [k, v] of Object.entries(opts.secrets ?? {})) {
        entries[`frappe:${k}`] = v;
        secret.add(`frappe:${k}`);
    }
    for (const [k, v] of Object.entries(opts.plainSecrets ?? {})) {
        entries[`frappe:${k}`] = v;
    }
    return { stack: opts.stack ?? "staging", entries, isSecret: (k) => secret.has(k), projectRoot: REPO_ROOT };
}

function ok(config: Record<string, unknown>, opts?: Parameters<typeof source>[1]): StackConfig {
    const r = parseStackConfig(source(config, opts));
    assert.deepEqual(r.issues, [], formatIssues(r.issues));
    assert.ok(r.config);
    return r.config;
}

function issues(config: Record<string, unknown>, opts?: Parameters<typeof source>[1]): ConfigIssue[] {
    const r = parseStackConfig(source(config, opts));
    assert.equal(r.config, undefined, "expected the config to be refused");
    return r.issues;
}

function issueFor(list: ConfigIssue[], key: string): ConfigIssue {
    const found = list.find((i) => i.key === key);
    assert.ok(found, `no issue for ${key}; got:\n${formatIssues(list)}`);
    return found;
}

describe("stack config", () => {
    describe("defaults", () => {
        it("fills in every documented default from a tag alone", () => {
            const c = ok({ tag: "v15.88.1" });
            assert.equal(c.image, "frappe/erpnext");
            assert.equal(c.tag, "v15.88.1");
            assert.equal(c.digest, undefined);
            assert.deepEqual(c.sites, []);
            assert.deepEqual(c.db, { type: "mariadb" });
            assert.deepEqual(c.redis, {});
            assert.deepEqual(c.proxy, { type: "traefik" });
            assert.deepEqual(c.workers, { short: 1, long: 1, custom: [] });
            assert.deepEqual(c.gunicorn, { workers: 2, threads: 4, timeout: 120 });
            assert.deepEqual(c.frontend, {
                clientMaxBodySize: "50m",
                proxyReadTimeout: 120,
                upstreamRealIp: { header: "X-Forwarded-For", recursive: false },
            });
            assert.equal(c.restartPolicy, "unless-stopped");
            assert.deepEqual(c.logging, { driver: "json-file", maxSize: "10m", maxFile: 5 });
            assert.deepEqual(c.backup, { schedule: "0 */6 * * *", withFiles: true, keepLast: 28 });
            assert.equal(c.stack, "staging");
        });

        it("fills defaults inside partially given objects", () => {
            const c = ok({ tag: "v15.88.1", workers: { short: 0 }, sites: [{ name: "erp.example.com" }] });
            assert.deepEqual(c.workers, { short: 0, long: 1, custom: [] });
            assert.deepEqual(c.sites, [{ name: "erp.example.com", apps: [] }]);
        });

        it("leaves other namespaces (docker:host) to their providers", () => {
            ok({ tag: "v15.88.1", "docker:host": "ssh://deploy@erp.example.com" });
        });
    });

    describe("mistakes", () => {
        it("requires a tag", () => {
            const i = issueFor(issues({}), "frappe:tag");
            assert.match(i.expected, /image tag/);
        });

        it("rejects an unknown top-level key and suggests the nearest known one", () => {
            const i = issueFor(issues({ tag: "v15.88.1", imgae: "x/y" }), "frappe:imgae");
            assert.equal(i.value, "x/y");
            assert.equal(i.message, "no such key; did you mean `frappe:image`?");
        });

        it("rejects an unknown nested key instead of ignoring it", () => {
            const i = issueFor(
                issues({ tag: "v15.88.1", db: { type: "mariadb", imgae: "mariadb:11" } }),
                "frappe:db.imgae",
            );
            assert.equal(i.value, "mariadb:11");
            assert.equal(i.message, "no such key; did you mean `frappe:db.image`?");
        });

        it("names a bad enum value and the choices", () => {
            const i = issueFor(issues({ tag: "v15.88.1", db: { type: "mysql" } }), "frappe:db.type");
            assert.equal(i.value, "mysql");
            assert.match(i.expected, /mariadb, postgres, external/);
        });

        it("checks numbers are in range", () => {
            const list = issues({
                tag: "v15.88.1",
                workers: { short: 99, long: -1 },
                gunicorn: { workers: 0, timeout: 1.5 },
                proxy: { type: "none", httpPort: 70000 },
            });
            assert.equal(issueFor(list, "frappe:workers.short").value, 99);
            assert.equal(issueFor(list, "frappe:workers.long").value, -1);
            assert.equal(issueFor(list, "frappe:gunicorn.workers").value, 0);
            assert.equal(issueFor(list, "frappe:gunicorn.timeout").value, 1.5);
            assert.equal(issueFor(list, "frappe:proxy.httpPort").value, 70000);
            assert.match(issueFor(list, "frappe:proxy.httpPort").expected, /between 1 and 65535/);
        });

        it("validates custom workers: names unique (short and long taken), queues named, replicas in range", () => {
            const list = issues({
                tag: "v15.88.1",
                workers: {
                    custom: [
                        { name: "reports", queues: ["reports"] },
                        { name: "reports", queues: ["Bad Queue"] },
                        { name: "long", queues: [], replicas: 99 },
                    ],
                },
            });
            assert.equal(issueFor(list, "frappe:workers.custom[1].queues[0]").value, "Bad Queue");
            assert.match(issueFor(list, "frappe:workers.custom[2].queues").expected, /at least one queue/);
            assert.equal(issueFor(list, "frappe:workers.custom[2].replicas").value, 99);
            const dup = issues({
                tag: "v15.88.1",
                workers: {
                    custom: [
                        { name: "reports", queues: ["a"] },
                        { name: "reports", queues: ["b"] },
                        { name: "short", queues: ["c"] },
                    ],
                },
            });
            issueFor(dup, "frappe:workers.custom[1].name");
            issueFor(dup, "frappe:workers.custom[2].name");
            const c = ok({
                tag: "v15.88.1",
                workers: { custom: [{ name: "reports", queues: ["reports", "default"] }] },
            });
            assert.deepEqual(c.workers.custom, [
                { name: "reports", queues: ["reports", "default"], replicas: 1, timeout: 1500 },
            ]);
        });

        it("requires valid, unique site hostnames", () => {
            const list = issues({
                tag: "v15.88.1",
                sites: [
                    { name: "ERP.example.com" },
                    { name: "a_b.example.com" },
                    { name: "ok.example.com", apps: ["ERPNext"] },
                ],
            });
            assert.equal(issueFor(list, "frappe:sites[0].name").value, "ERP.example.com");
            assert.equal(issueFor(list, "frappe:sites[1].name").value, "a_b.example.com");
            assert.equal(issueFor(list, "frappe:sites[2].apps[0]").value, "ERPNext");
            const dup = issues({ tag: "v15.88.1", sites: [{ name: "a.example.com" }, { name: "a.example.com" }] });
            assert.match(issueFor(dup, "frappe:sites[1].name").expected, /sites\[0\] has it/);
        });

        it("requires an email for https", () => {
            const list = issues({ tag: "v15.88.1", sites: [{ name: "a.example.com" }], proxy: { https: {} } });
            assert.match(issueFor(list, "frappe:proxy.https.email").expected, /email/);
            const bad = issues({
                tag: "v15.88.1",
                sites: [{ name: "a.example.com" }],
                proxy: { https: { email: "nope" } },
            });
            assert.equal(issueFor(bad, "frappe:proxy.https.email").value, "nope");
        });

        it("requires a well-formed digest", () => {
            const i = issueFor(issues({ tag: "v15.88.1", digest: "sha256:abc" }), "frappe:digest");
            assert.equal(i.value, "sha256:abc");
            assert.match(i.expected, /64 lowercase hex/);
        });

        it("refuses moving tags in production unless a digest pins them", () => {
            for (const tag of [
                "latest",
                "version-15",
                "v15",
                "main",
                "master",
                "develop",
                "nightly",
                "staging-latest",
            ]) {
                const i = issueFor(issues({ tag }, { stack: "production" }), "frappe:tag");
                assert.equal(i.value, tag);
                assert.match(i.expected, /production refuses moving tags/);
            }
            ok({ tag: "version-15", digest: `sha256:${"a".repeat(64)}` }, { stack: "production" });
            ok({ tag: "v15.88.1" }, { stack: "production" });
            ok({ tag: "latest" }, { stack: "staging" });
        });

        it("refuses secrets stored in plain text, without echoing them", () => {
            const i = issueFor(
                issues({ tag: "v15.88.1" }, { plainSecrets: { dbPassword: "hunter2" } }),
                "frappe:dbPassword",
            );
            assert.equal(i.value, "[secret]");
            assert.match(i.expected, /--secret dbPassword/);
            assert.doesNotMatch(formatIssues([i]), /hunter2/);
        });

        it("never prints the value of a misspelt or otherwise invalid secret key", () => {
            const typo = issues({ tag: "v15.88.1" }, { secrets: { dbPasword: "S3cr3t-Value-XYZ" } });
            assert.equal(issueFor(typo, "frappe:dbPasword").value, "[secret]");
            assert.doesNotMatch(formatIssues(typo), /S3cr3t-Value-XYZ/);
            const secretTag = issues({}, { secrets: { tag: "not a tag!" } });
            assert.equal(issueFor(secretTag, "frappe:tag").value, "[secret]");
        });

        it("keeps external-only keys off in-stack services and requires what external needs", () => {
            const list = issues({
                tag: "v15.88.1",
                db: { type: "external", engine: "mariadb" },
                redis: { cache: "r:6379" },
            });
            assert.match(issueFor(list, "frappe:db.host").expected, /external database host/);
            assert.match(issueFor(list, "frappe:redis.queue").expected, /both redis.cache and redis.queue/);
            const inStack = issues({ tag: "v15.88.1", db: { type: "mariadb", host: "db.internal" } });
            assert.equal(issueFor(inStack, "frappe:db.host").value, "db.internal");
            const redisPw = issues({ tag: "v15.88.1" }, { secrets: { redisPassword: "x" } });
            assert.match(issueFor(redisPw, "frappe:redisPassword").expected, /only an external one/);
            ok({ tag: "v15.88.1", redis: { cache: "c:6379", queue: "q:6379" } }, { secrets: { redisPassword: "x" } });
            issueFor(issues({ tag: "v15.88.1", db: { type: "mariadb", rootUser: "admin" } }), "frappe:db.rootUser");
            const port = issues({ tag: "v15.88.1", db: { type: "postgres", port: 5433 } });
            assert.equal(issueFor(port, "frappe:db.port").value, 5433);
            assert.match(issueFor(port, "frappe:db.port").expected, /listens on 5432/);
        });

        it("refuses https without a proxy, and a pinned site header that is not a site", () => {
            const list = issues({
                tag: "v15.88.1",
                sites: [{ name: "a.example.com" }],
                proxy: { type: "none", https: { email: "ops@example.com" } },
                frontend: { siteNameHeader: "b.example.com" },
            });
            issueFor(list, "frappe:proxy.https");
            assert.equal(issueFor(list, "frappe:frontend.siteNameHeader").value, "b.example.com");
        });

        it("requires offsite backup secrets and a valid schedule", () => {
            const list = issues({
                tag: "v15.88.1",
                backup: { schedule: "every 6 hours", keepLast: 0 },
            });
            assert.equal(issueFor(list, "frappe:backup.schedule").value, "every 6 hours");
            for (const schedule of [
                "0 24 * * *",
                "99 99 99 99 99",
                "*/0 * * * *",
                "5-1 * * * *",
                "0 0 0 * *",
                "0 0 * 13 *",
                "0 0 * * 8",
                "* * * *",
            ]) {
                const bad = issues({ tag: "v15.88.1", backup: { schedule } });
                assert.equal(issueFor(bad, "frappe:backup.schedule").value, schedule);
            }
            for (const schedule of ["0 */6 * * *", "15 2 * * 0", "0 3 1,15 * 1-5", "*/5 8-18 * 1-12/2 7"]) {
                ok({ tag: "v15.88.1", backup: { schedule } });
            }
            const normalized: [string, string][] = [
                ["@every 6h", "0 */6 * * *"],
                ["@every 24h", "0 0 * * *"],
                ["@every 15m", "*/15 * * * *"],
                ["@daily", "0 0 * * *"],
                ["@weekly", "0 0 * * 0"],
                ["  @hourly ", "0 * * * *"],
            ];
            for (const [schedule, cron] of normalized) {
                assert.equal(ok({ tag: "v15.88.1", backup: { schedule } }).backup.schedule, cron, schedule);
            }
            for (const schedule of ["@every 7h", "@every 90m", "@every 0h", "@sometimes"]) {
                assert.equal(
                    issueFor(issues({ tag: "v15.88.1", backup: { schedule } }), "frappe:backup.schedule").value,
                    schedule,
                );
            }
            assert.equal(issueFor(list, "frappe:backup.keepLast").value, 0);
            const offsite = issues({
                tag: "v15.88.1",
                backup: { offsite: { repository: "s3:https://s3.example.com/b/erp" } },
            });
            for (const k of ["resticPassword", "s3AccessKeyId", "s3SecretAccessKey"]) {
                issueFor(offsite, `frappe:${k}`);
            }
        });

        it("reports rules between keys together with per-key mistakes, without guessing about bad keys", () => {
            const list = issues({ tag: "latest", workers: { short: 99 } }, { stack: "production" });
            assert.deepEqual(list.map((i) => i.key).sort(), ["frappe:tag", "frappe:workers.short"]);
            const noGuess = issues({
                tag: "v15.88.1",
                sites: [{ name: "Not A Host" }],
                proxy: { https: { email: "ops@example.com" } },
                frontend: { siteNameHeader: "a.example.com" },
            });
            assert.deepEqual(
                noGuess.map((i) => i.key),
                ["frappe:sites[0].name"],
                "rules reading frappe:sites stay quiet while frappe:sites itself is invalid",
            );
        });

        it("reports structured values that are not objects", () => {
            const i = issueFor(issues({ tag: "v15.88.1", "frappe:db": "mariadb" }), "frappe:db");
            assert.equal(i.value, "mariadb");
        });
    });

    describe("under the Pulumi mocks", () => {
        const tenMistakes: Record<string, unknown> = {
            imgae: "frappe/erpnext",
            tag: "not a tag",
            digest: "md5:1234",
            sites: [{ name: "Bad_Host" }],
            db: { type: "oracle" },
            redis: { cache: "redis://cache:6379" },
            proxy: { type: "traefik", https: { email: "not-an-email" }, httpPort: 0 },
            workers: { short: 1000 },
            gunicorn: { threads: "four" },
            frontend: { clientMaxBodySize: "fifty megabytes" },
        };
        const expectedKeys = [
            "frappe:imgae",
            "frappe:tag",
            "frappe:digest",
            "frappe:sites[0].name",
            "frappe:db.type",
            "frappe:redis.cache",
            "frappe:proxy.https.email",
            "frappe:proxy.httpPort",
            "frappe:workers.short",
            "frappe:gunicorn.threads",
            "frappe:frontend.clientMaxBodySize",
        ];

        it("registers no resource at all for ten mistakes and names every bad key", async () => {
            const run = await runProgram({ stack: "staging", config: tenMistakes });
            assert.ok(run.error instanceof ConfigError, `expected a ConfigError, got ${String(run.error)}`);
            assert.deepEqual(run.resources, []);
            const keys = run.error.issues.map((i) => i.key).sort();
            assert.deepEqual(keys, [...expectedKeys].sort());
            for (const key of expectedKeys) {
                const named = [`  - ${key}: got `, `  - \`${key}\`: no such key`];
                assert.ok(
                    named.some((n) => run.error?.message.includes(n)),
                    `message names ${key}`,
                );
            }
        });

        it("registers nothing when only one cross-key rule fails", async () => {
            const run = await runProgram({ stack: "production", config: { tag: "latest" } });
            assert.ok(run.error instanceof ConfigError);
            assert.deepEqual(run.resources, []);
        });
    });
});

describe("telling secret config from plain text", () => {
    it("fails closed when Pulumi's runtime cannot say which keys are secret", () => {
        assert.throws(
            () => configSecretCheck({}),
            /no longer provides isConfigSecret, so this program cannot tell a secret config value from a plain-text one; refusing to deploy/,
        );
        assert.throws(() => configSecretCheck({ isConfigSecret: "yes" }), /refusing to deploy/);
    });

    it("asks Pulumi's runtime, which knows the keys set with --secret", () => {
        pulumi.runtime.setAllConfig({ "frappe:dbPassword": "x", "frappe:tag": "v15.88.1" }, ["frappe:dbPassword"]);
        const isSecret = configSecretCheck(pulumi.runtime);
        assert.equal(isSecret("frappe:dbPassword"), true);
        assert.equal(isSecret("frappe:tag"), false);
    });
});

/** An inline apps entry whose app name is derived, and one whose repository is named otherwise. */
const ERPNEXT_ENTRY = { url: "https://github.com/frappe/erpnext", branch: "v15.88.1" };
const CUSTOM_ENTRY = { url: "https://github.com/acme/erp-customizations", branch: "v1.0.0", name: "acme_custom" };

describe("stack config with a build", () => {
    it("never echoes a token found in an inline app URL", () => {
        const r = parseStackConfig(
            source({
                image: "ghcr.io/acme/erp",
                build: {
                    frappeBranch: "v15.88.1",
                    apps: [{ url: "https://bot:SEKRET@github.com/acme/app", branch: "v1.2.3" }],
                },
            }),
        );
        assert.equal(r.config, undefined);
        const text = JSON.stringify(r.issues) + formatIssues(r.issues);
        assert.doesNotMatch(text, /SEKRET/);
        issueFor(r.issues, "frappe:build.apps[0].url");
    });

    it("names a missing apps file by its configured name", () => {
        const r = parseStackConfig(
            source({ image: "ghcr.io/acme/erp", build: { frappeBranch: "v15.88.1", appsFile: "missing-apps.json" } }),
        );
        assert.ok(
            r.issues.some((i) => i.key.startsWith("missing-apps.json")),
            formatIssues(r.issues),
        );
    });

    it("refuses a site app the build does not install, naming the site, the app and apps.json", () => {
        const list = issues({
            image: "ghcr.io/acme/erp",
            build: { frappeBranch: "v15.88.1" },
            sites: [
                { name: "erp.example.com", apps: ["erpnext"] },
                { name: "hr.example.com", apps: ["erpnext", "hrms"] },
            ],
        });
        assert.deepEqual(list, [
            {
                key: "frappe:sites[1].apps[1]",
                value: "hrms",
                expected: "an app the stack's build installs",
                message:
                    "site hr.example.com lists app hrms, which apps.json does not install (the image will hold " +
                    "frappe, erpnext): add hrms to apps.json, or remove it from the site's apps; if an entry of " +
                    'apps.json installs hrms from a repository of another name, add "name": "hrms" to that entry ' +
                    "(bench names an app after its Python package, not its repository)",
            },
        ]);
        assert.match(formatIssues(list), /- `frappe:sites\[1\]\.apps\[1\]`: site hr\.example\.com lists app hrms/);
    });

    it("accepts site apps the build installs: each app by its repository's name (- as _)", () => {
        ok({
            image: "ghcr.io/acme/erp",
            build: {
                frappeBranch: "v15.88.1",
                apps: [
                    { url: "https://github.com/frappe/erpnext", branch: "v15.88.1" },
                    { url: "https://github.com/resilient-tech/india-compliance", branch: "v15.20.1" },
                ],
            },
            sites: [{ name: "erp.example.com", apps: ["erpnext", "india_compliance"] }],
        });
        // A pinned image (no build) is not checked: its apps are not known here.
        ok({ image: "frappe/erpnext", tag: "v15.88.1", sites: [{ name: "erp.example.com", apps: ["hrms"] }] });
        const inline = issues({
            image: "ghcr.io/acme/erp",
            build: {
                frappeBranch: "v15.88.1",
                apps: [{ url: "https://github.com/frappe/erpnext", branch: "v15.88.1" }],
            },
            sites: [{ name: "erp.example.com", apps: ["crm"] }],
        });
        assert.match(inline[0].message ?? "", /which frappe:build\.apps does not install/);
    });

    it("accepts a site app an entry installs under its declared name", () => {
        const config = ok({
            image: "ghcr.io/acme/erp",
            build: {
                frappeBranch: "v15.88.1",
                apps: [ERPNEXT_ENTRY, CUSTOM_ENTRY],
            },
            sites: [{ name: "erp.example.com", apps: ["erpnext", "acme_custom"] }],
        });
        assert.ok("buildApps" in config);
        assert.equal(config.buildApps?.[1].name, "acme_custom");
    });

    it("checks site apps against the declared name, not the repository's", () => {
        const apps = [{ ...ERPNEXT_ENTRY, name: "erpnext" }, CUSTOM_ENTRY];
        const list = issues({
            image: "ghcr.io/acme/erp",
            build: { frappeBranch: "v15.88.1", apps },
            sites: [{ name: "erp.example.com", apps: ["erpnext", "erp_customizations"] }],
        });
        // Every entry declares its name, so the message does not suggest one.
        assert.deepEqual(list, [
            {
                key: "frappe:sites[0].apps[1]",
                value: "erp_customizations",
                expected: "an app the stack's build installs",
                message:
                    "site erp.example.com lists app erp_customizations, which frappe:build.apps does not install " +
                    "(the image will hold frappe, erpnext, acme_custom): add erp_customizations to frappe:build.apps, " +
                    "or remove it from the site's apps",
            },
        ]);
    });

    it("refuses a malformed or duplicate name in the app list, keyed by entry", () => {
        const list = issues({
            image: "ghcr.io/acme/erp",
            build: {
                frappeBranch: "v15.88.1",
                apps: [
                    ERPNEXT_ENTRY,
                    { ...CUSTOM_ENTRY, name: "erpnext" },
                    { url: "https://github.com/acme/other", branch: "v1.0.0", name: "Other-App" },
                ],
            },
        });
        assert.deepEqual(
            list.map((i) => [i.key, i.value]),
            [
                ["frappe:build.apps[1].name", "erpnext"],
                ["frappe:build.apps[2].name", "Other-App"],
            ],
        );
        assert.equal(
            list[0].expected,
            'each app once; entry [0] already installs "erpnext" (bench would install both into apps/erpnext)',
        );
    });

    it("refuses a build in production, and a tag beside a build", () => {
        const list = issues(
            { image: "ghcr.io/acme/erp", tag: "v1.0.0", build: { frappeBranch: "v15.88.1" } },
            { stack: "production" },
        );
        issueFor(list, "frappe:build");
        issueFor(list, "frappe:tag");
    });
});

/** The one line an operator reads for a single problem, exactly as `pulumi up` prints it. */
function onlyLine(config: Record<string, unknown>, opts?: Parameters<typeof source>[1]): string {
    const r = parseStackConfig(source(config, opts));
    assert.equal(r.config, undefined, "expected the config to be refused");
    assert.equal(r.issues.length, 1, formatIssues(r.issues));
    return formatIssues(r.issues).split("\n")[1];
}

describe("config errors that help (issue 9, section 5)", () => {
    const site = [{ name: "erp.example.com" }];

    it("suggests the nearest known top-level key", () => {
        assert.equal(
            onlyLine({ tag: "v15.88.1", site: "erp.example.com" }),
            "  - `frappe:site`: no such key; did you mean `frappe:sites`?",
        );
        // A secret key's name in the wrong case is still found, and its value is never shown.
        assert.equal(
            onlyLine({ tag: "v15.88.1" }, { secrets: { dbpassword: "hunter2" } }),
            "  - `frappe:dbpassword`: no such key; did you mean `frappe:dbPassword`?",
        );
    });

    it("suggests the nearest known key at any depth, inside lists too", () => {
        assert.equal(
            onlyLine({ tag: "v15.88.1", backup: { keeplast: 3 } }),
            "  - `frappe:backup.keeplast`: no such key; did you mean `frappe:backup.keepLast`?",
        );
        assert.equal(
            onlyLine({ tag: "v15.88.1", sites: [{ name: "erp.example.com", app: ["erpnext"] }] }),
            "  - `frappe:sites[0].app`: no such key; did you mean `frappe:sites[0].apps`?",
        );
        assert.equal(
            onlyLine({ tag: "v15.88.1", frontend: { upstreamRealIp: { adress: "10.0.0.0/8" } } }),
            "  - `frappe:frontend.upstreamRealIp.adress`: no such key; did you mean " +
                "`frappe:frontend.upstreamRealIp.address`?",
        );
    });

    it("lists the keys that exist when nothing is close", () => {
        assert.equal(
            onlyLine({ tag: "v15.88.1", gunicorn: { concurrency: 8 } }),
            "  - `frappe:gunicorn.concurrency`: no such key; the keys here are workers, threads, timeout",
        );
    });

    it("explains that a dotted key name needs pulumi config set --path", () => {
        assert.equal(
            onlyLine({ tag: "v15.88.1", "workers.short": "2" }),
            "  - `frappe:workers.short`: no such key; `pulumi config set` stored `workers.short` as one flat name. " +
                "Nested values are set with --path: run `pulumi config rm workers.short`, then " +
                "`pulumi config set --path 'workers.short' <value>`",
        );
        assert.equal(
            onlyLine({ tag: "v15.88.1", "sites[0].name": "erp.example.com" }),
            "  - `frappe:sites[0].name`: no such key; `pulumi config set` stored `sites[0].name` as one flat name. " +
                "Nested values are set with --path: run `pulumi config rm sites[0].name`, then " +
                "`pulumi config set --path 'sites[0].name' <value>`",
        );
    });

    it("requires db.engine for an external database instead of assuming MariaDB", () => {
        assert.equal(
            onlyLine({ tag: "v15.88.1", db: { type: "external", host: "pg.internal", port: 5432 } }),
            "  - frappe:db.engine: got nothing (key missing); expected mariadb or postgres: the engine of the " +
                "external server (required when db.type is external; it decides bench new-site --db-type and " +
                "the default port)",
        );
        const pg = ok({ tag: "v15.88.1", db: { type: "external", host: "pg.internal", engine: "postgres" } });
        assert.equal(pg.db.engine, "postgres");
    });

    it("deploys a bench without sites, with a warning", async () => {
        const none = await runProgram({ stack: "staging", config: { tag: "v15.88.1" } });
        assert.equal(none.error, undefined, none.error?.message);
        assert.ok(none.resources.some((r) => r.type === "docker:index/container:Container"));
        assert.deepEqual(none.warnings, [
            "frappe:sites is empty: the bench is deployed without any site, so nothing answers on the web port yet. " +
                "Add one with `pulumi config set --path 'sites[0].name' erp.example.com` and run `pulumi up` again.",
        ]);
        const some = await runProgram({ stack: "staging", config: { tag: "v15.88.1", sites: site } });
        assert.deepEqual(some.warnings, []);
    });
});
