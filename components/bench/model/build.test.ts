import { strict as assert } from "assert";
import { parseStackConfig, StackConfig } from "../../config/load";
import { buildBenchModel, checkReferences } from "./build";
import { FRAPPE, LOGS, service, SITES } from "./processes";
import { ProcessModel, ServiceSpec } from "./types";

function config(entries: Record<string, string> = {}): StackConfig {
    const r = parseStackConfig({
        stack: "staging",
        entries: { "frappe:tag": "v15.88.1", ...entries },
        isSecret: () => false,
        projectRoot: ".",
    });
    assert.ok(r.config, JSON.stringify(r.issues));
    return r.config;
}

const HEALTH = { tests: ["CMD", "true"], intervalSeconds: 5, timeoutSeconds: 5, startPeriodSeconds: 5, retries: 3 };

function plain(key: string, after: readonly ProcessModel[] = []): ServiceSpec {
    return service({
        key,
        role: "backend",
        image: FRAPPE,
        aliases: [],
        env: {},
        mounts: [SITES, LOGS],
        healthcheck: HEALTH,
        after,
    });
}

describe("bench model references", () => {
    it("takes the processes themselves: a key typed in does not compile", () => {
        const db = plain("db");
        // @ts-expect-error `after` takes processes, not keys: typecheck fails here
        const typedIn = plain("backend", ["db"]);
        // Forced past the compiler, model construction still refuses it.
        assert.throws(() => checkReferences([db, typedIn]), /backend comes after undefined/);
        assert.deepEqual(plain("backend", [db, db]).after, ["db"]);
    });

    it("refuses a reference to a process not defined before it, naming both", () => {
        const backend = plain("backend");
        assert.throws(
            () => checkReferences([{ ...backend, after: ["bakend"] }]),
            /^Error: bench model: backend comes after bakend, which is not a process defined before it$/,
        );
        assert.throws(() => checkReferences([backend, backend]), /two processes are keyed backend/);
    });

    it("refuses restartAfter naming anything but a job defined before it", () => {
        const db = plain("db");
        assert.throws(
            () => checkReferences([db, { ...plain("backend"), restartAfter: "db" }]),
            /backend restarts after db, which is not a job defined before it/,
        );
        const model = buildBenchModel(config());
        const backend = model.processes.find((p) => p.key === "backend");
        assert.ok(backend?.kind === "service");
        assert.equal(backend.restartAfter, "configurator");
    });

    it("builds models whose every reference holds, workers as one process with a count each", () => {
        const model = buildBenchModel(
            config({
                "frappe:workers": JSON.stringify({ short: 3, long: 0, custom: [{ name: "mail", queues: ["mail"] }] }),
                "frappe:sites": JSON.stringify([{ name: "a.example.com" }, { name: "b.example.com" }]),
            }),
        );
        checkReferences(model.processes);
        const workers = model.processes.filter((p) => p.kind === "service" && p.replicas !== undefined);
        assert.deepEqual(
            workers.map((p) => [p.key, p.kind === "service" && p.replicas]),
            [
                ["queue-short", 3],
                ["queue-mail", 1],
            ],
        );
        const off = model.processes.find((p) => p.key === "maintenance-off");
        assert.ok(off?.kind === "job");
        assert.deepEqual(off.healthGate?.processes, ["backend", "websocket", "scheduler", "frontend"]);
        assert.deepEqual(off.after, ["backend", "websocket", "queue-short", "queue-mail", "scheduler", "frontend"]);
    });

    it("states routing as intent: hosts, TLS and the entry, no proxy flags or labels", () => {
        const model = buildBenchModel(
            config({
                "frappe:sites": JSON.stringify([{ name: "a.example.com" }]),
                "frappe:proxy": JSON.stringify({ https: { email: "ops@example.com" } }),
            }),
        );
        assert.deepEqual(model.routing, {
            proxy: "proxy",
            entry: { process: "frontend", port: 8080 },
            hosts: ["a.example.com"],
            tls: { acmeEmail: "ops@example.com" },
            trustProxyNetworkIn: "UPSTREAM_REAL_IP_ADDRESS",
        });
        const proxy = model.processes.find((p) => p.key === "proxy");
        assert.ok(proxy?.kind === "service");
        assert.equal(proxy.command, undefined);
        assert.equal(buildBenchModel(config({ "frappe:proxy": JSON.stringify({ type: "none" }) })).routing, undefined);
    });
});
