import { strict as assert } from "assert";
import fc from "fast-check";
import { goDuration } from "../components/renderer/durations";
import { buildBenchModel } from "../components/bench/model/build";
import { parseStackConfig } from "../components/config/load";
import { PLAIN_KEYS } from "../components/config/schema";
import { dockerName, dockerPrefix } from "../components/conventions/naming";
import { isMovingRef } from "../components/conventions/tags";
import { isCanonicalGoDuration } from "./mocks";
import { REPO_ROOT } from "./harness";

/** Every known key, plus a typo the schema must refuse. */
const KEYS = [...PLAIN_KEYS, "imgae"];

/** Any JSON-ish value, including the wrong types the schema must refuse. */
const anything = fc.oneof(
    fc.string(),
    fc.integer(),
    fc.double(),
    fc.boolean(),
    fc.constant(null),
    fc.array(fc.string(), { maxLength: 3 }),
    fc.dictionary(
        fc.constantFrom("type", "name", "apps", "image", "host", "port", "short", "long", "https", "email"),
        fc.oneof(fc.string(), fc.integer(), fc.boolean()),
    ),
);

function toEntries(cfg: Record<string, unknown>): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(cfg)) {
        out[`frappe:${k}`] = typeof v === "string" ? v : JSON.stringify(v);
    }
    return out;
}

const hostname = fc
    .array(fc.stringMatching(/^[a-z0-9](?:[a-z0-9-]{0,10}[a-z0-9])?$/), { minLength: 1, maxLength: 3 })
    .map((labels) => labels.join("."));

/** Configs the schema accepts, covering every switch the model has. */
const validConfig = fc.record({
    tag: fc.constantFrom("v15.88.1", "v16.2.0", "15.0.0"),
    sites: fc.uniqueArray(
        fc.record({
            name: hostname,
            apps: fc.uniqueArray(fc.constantFrom("erpnext", "hrms", "crm"), { maxLength: 3 }),
        }),
        {
            maxLength: 4,
            selector: (s) => s.name,
        },
    ),
    db: fc.oneof(
        fc.constant({ type: "mariadb" }),
        fc.constant({ type: "postgres" }),
        fc.record({
            type: fc.constant("external"),
            host: hostname,
            port: fc.integer({ min: 1, max: 65535 }),
            engine: fc.constantFrom("mariadb", "postgres"),
        }),
    ),
    redis: fc.oneof(fc.constant({}), fc.constant({ cache: "cache:6379", queue: "queue:6380" })),
    workers: fc.record({ short: fc.integer({ min: 0, max: 4 }), long: fc.integer({ min: 0, max: 4 }) }),
    proxyKind: fc.constantFrom("http", "https", "none"),
});

describe("properties", () => {
    it("the config parser never throws: every input is a config or a list of named problems", () => {
        fc.assert(
            fc.property(
                fc.dictionary(fc.constantFrom(...KEYS), anything),
                fc.constantFrom("staging", "production", "dev"),
                (cfg, stack) => {
                    const r = parseStackConfig({
                        stack,
                        entries: toEntries(cfg),
                        isSecret: () => true,
                        projectRoot: REPO_ROOT,
                    });
                    if (r.config === undefined) {
                        assert.ok(r.issues.length > 0);
                        for (const i of r.issues) {
                            assert.match(i.key, /^frappe:[A-Za-z]/);
                            assert.ok(i.expected.length > 0);
                        }
                    } else {
                        assert.deepEqual(r.issues, []);
                    }
                },
            ),
            { numRuns: 400 },
        );
    });

    it("every valid config yields a well-formed model: unique keys, dependencies defined first, canonical durations", () => {
        fc.assert(
            fc.property(validConfig, (v) => {
                const proxy =
                    v.proxyKind === "none"
                        ? { type: "none" }
                        : v.proxyKind === "https" && v.sites.length > 0
                          ? { type: "traefik", https: { email: "ops@example.com" } }
                          : { type: "traefik" };
                const { proxyKind, ...rest } = v;
                void proxyKind;
                const r = parseStackConfig({
                    stack: "staging",
                    entries: toEntries({ ...rest, proxy }),
                    isSecret: () => true,
                    projectRoot: REPO_ROOT,
                });
                assert.deepEqual(r.issues, []);
                const model = buildBenchModel(r.config!);
                const seen = new Set<string>();
                for (const p of model.processes) {
                    assert.ok(!seen.has(p.key), `duplicate ${p.key}`);
                    for (const a of p.after) {
                        assert.ok(seen.has(a), `${p.key} after undefined ${a}`);
                    }
                    seen.add(p.key);
                    for (const m of p.mounts) {
                        assert.ok(
                            model.volumes.includes(m.volume),
                            `${p.key} mounts ${m.volume}, which the stack does not create`,
                        );
                    }
                    if (p.kind === "service") {
                        const h = p.healthcheck;
                        for (const d of [h.intervalSeconds, h.timeoutSeconds, h.startPeriodSeconds]) {
                            assert.ok(Number.isInteger(d) && d >= 0, `${p.key}: ${d} whole seconds`);
                        }
                        if (["db", "redis-cache", "redis-queue"].includes(p.role)) {
                            assert.deepEqual(p.ports, []);
                        }
                    }
                    for (const value of Object.values(p.kind === "service" ? p.env : p.params)) {
                        assert.doesNotMatch(JSON.stringify(value), /Secret/);
                    }
                }
                assert.equal(model.processes.filter((p) => p.role === "scheduler").length, 1);
                const short = model.processes.filter((p) => p.role === "queue-short");
                assert.deepEqual(
                    short.map((p) => p.kind === "service" && p.replicas),
                    v.workers.short > 0 ? [v.workers.short] : [],
                );
            }),
            { numRuns: 200 },
        );
    });

    it("goDuration matches Go's Duration.String for whole seconds", () => {
        fc.assert(
            fc.property(fc.integer({ min: 0, max: 100000 }), (s) => {
                const d = goDuration(s);
                assert.ok(isCanonicalGoDuration(d), d);
                const m = /^(?:(\d+)h)?(?:(\d+)m)?(\d+)s$/.exec(d);
                assert.ok(m);
                assert.equal(Number(m[1] ?? 0) * 3600 + Number(m[2] ?? 0) * 60 + Number(m[3]), s);
            }),
        );
        assert.equal(goDuration(60), "1m0s");
        assert.equal(goDuration(90), "1m30s");
        assert.equal(goDuration(3600), "1h0m0s");
        assert.equal(isCanonicalGoDuration("1m"), false);
        assert.equal(isCanonicalGoDuration("60s"), false);
        assert.equal(isCanonicalGoDuration("0m30s"), false);
    });

    it("Docker names are valid for any stack name, and distinct stacks never share a name", () => {
        fc.assert(
            fc.property(fc.string({ maxLength: 30 }), (a) => {
                assert.match(dockerName(a, "backend"), /^[A-Za-z0-9][A-Za-z0-9_.-]*$/);
            }),
        );
        // Every valid Pulumi stack name maps to its own prefix (Staging and staging included).
        const stackName = fc.stringMatching(/^[A-Za-z0-9_.-]{1,30}$/);
        fc.assert(
            fc.property(stackName, stackName, (a, b) => {
                assert.equal(dockerPrefix(a) === dockerPrefix(b), a === b, `${a} / ${b}`);
            }),
            { numRuns: 500 },
        );
        assert.equal(dockerName("staging", "backend"), "frappe-staging-backend");
        assert.equal(dockerName("Staging", "db"), "frappe-Staging-db");
        assert.equal(dockerName("prod eu", "db"), "frappe-prod-eu-db");
    });

    it("moving refs are recognised, pinned releases are not", () => {
        for (const r of [
            "latest",
            "version-15",
            "version-16-hotfix",
            "v15",
            "15",
            "main",
            "master",
            "develop",
            "nightly",
            "staging-latest",
        ]) {
            assert.equal(isMovingRef(r), true, r);
        }
        for (const r of ["v15.88.1", "15.88.1", "v16.0.0-beta.2", "1f2e3d4"]) {
            assert.equal(isMovingRef(r), false, r);
        }
    });
});
