import { strict as assert } from "assert";
import fc from "fast-check";
import { buildBenchModel } from "../bench/model/build";
import { ServiceSpec } from "../bench/model/types";
import { parseStackConfig, StackConfig } from "../config/load";
import { swarmConfigSchema } from "../config/swarmSchema";
import { roleSettings, serviceSettings } from "./plan";

const SWARM = swarmConfigSchema.parse({ sitesVolume: { options: { type: "nfs", o: "addr=n", device: ":/s" } } });

function config(workers: { short: number; long: number; custom: number }): StackConfig {
    const r = parseStackConfig({
        stack: "staging",
        entries: {
            "frappe:tag": "v15.88.1",
            "frappe:sites": JSON.stringify([{ name: "a.example.com" }]),
            "frappe:workers": JSON.stringify({
                short: workers.short,
                long: workers.long,
                custom: [{ name: "reports", queues: ["reports"], replicas: workers.custom }],
            }),
        },
        isSecret: () => false,
        projectRoot: ".",
    });
    assert.ok(r.config, JSON.stringify(r.issues));
    return r.config;
}

function services(c: StackConfig): Record<string, ServiceSpec> {
    const out: Record<string, ServiceSpec> = {};
    for (const p of buildBenchModel(c).processes) {
        if (p.kind === "service") {
            out[p.key] = p;
        }
    }
    return out;
}

describe("swarm plan", () => {
    it("runs each kind of worker as one service with the model's replicas; a kind scaled to 0 is no service", () => {
        fc.assert(
            fc.property(
                fc.integer({ min: 0, max: 5 }),
                fc.integer({ min: 0, max: 5 }),
                fc.integer({ min: 0, max: 5 }),
                (short, long, custom) => {
                    const byKey = services(config({ short, long, custom }));
                    const replicas = (k: string) => {
                        const spec = byKey[k];
                        return spec === undefined ? 0 : serviceSettings(spec, SWARM).replicas;
                    };
                    assert.deepEqual(
                        [replicas("queue-short"), replicas("queue-long"), replicas("queue-reports")],
                        [short, long, custom],
                    );
                    assert.equal(serviceSettings(byKey.scheduler, SWARM).replicas, 1);
                    assert.equal(serviceSettings(byKey.scheduler, SWARM).order, "stop-first");
                },
            ),
            { numRuns: 40 },
        );
    });

    it("takes backend, frontend and websocket replicas from frappe:swarm", () => {
        const byKey = services(config({ short: 1, long: 1, custom: 0 }));
        const swarm = swarmConfigSchema.parse({
            sitesVolume: SWARM.sitesVolume,
            replicas: { backend: 4, frontend: 3, websocket: 2 },
        });
        assert.deepEqual(
            ["backend", "frontend", "websocket"].map((k) => serviceSettings(byKey[k], swarm).replicas),
            [4, 3, 2],
        );
    });

    it("pauses a failed update of every service that runs the bench's image, and rolls back the others", () => {
        const byKey = services(config({ short: 1, long: 1, custom: 1 }));
        for (const spec of Object.values(byKey)) {
            const expected = spec.image.kind === "frappe" ? "pause" : "rollback";
            assert.equal(serviceSettings(spec, SWARM).failureAction, expected, spec.key);
        }
        assert.equal(serviceSettings(byKey.backend, SWARM).failureAction, "pause");
        assert.equal(serviceSettings(byKey.db, SWARM).failureAction, "rollback");
    });

    it("renders the endpoint mode on every service; with dnsrr every published port is a host port", () => {
        const byKey = services(config({ short: 1, long: 1, custom: 0 }));
        const dnsrr = swarmConfigSchema.parse({ sitesVolume: SWARM.sitesVolume, endpointMode: "dnsrr" });
        for (const spec of Object.values(byKey)) {
            assert.deepEqual(
                [serviceSettings(spec, SWARM).endpointMode, serviceSettings(spec, dnsrr).endpointMode],
                ["vip", "dnsrr"],
            );
            assert.equal(serviceSettings(spec, dnsrr).publishMode, "host", spec.key);
        }
        assert.equal(serviceSettings(byKey.frontend, SWARM).publishMode, "ingress");
    });

    it("refuses a service role without a Swarm decision", () => {
        const backend = services(config({ short: 1, long: 1, custom: 0 })).backend;
        assert.throws(
            () => roleSettings({ ...backend, role: "migrate" }, SWARM),
            /has role migrate, which has no Swarm settings/,
        );
    });
});
