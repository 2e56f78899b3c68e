import { strict as assert } from "assert";
import fc from "fast-check";
import { buildBenchModel } from "../bench/model/build";
import { parseStackConfig, StackConfig } from "../config/load";
import { swarmConfigSchema } from "../config/swarmSchema";
import { mergeReplicas, planSwarm, roleSettings, swarmTraefikArgs } from "./plan";

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

describe("swarm plan", () => {
    it("turns N worker containers into one service with N replicas, keeping every dependency defined first", () => {
        fc.assert(
            fc.property(
                fc.integer({ min: 0, max: 5 }),
                fc.integer({ min: 0, max: 5 }),
                fc.integer({ min: 0, max: 5 }),
                (short, long, custom) => {
                    const model = buildBenchModel(config({ short, long, custom }));
                    const plan = planSwarm(model, { swarm: SWARM, realIpAddressSet: false });
                    const replicas = (k: string) => plan.services[k]?.replicas ?? 0;
                    assert.deepEqual(
                        [replicas("queue-short"), replicas("queue-long"), replicas("queue-reports")],
                        [short, long, custom],
                    );
                    const seen = new Set<string>();
                    for (const p of plan.model.processes) {
                        p.after.forEach((k) => assert.ok(seen.has(k), `${p.key} after ${k}`));
                        assert.ok(!seen.has(p.key), `duplicate ${p.key}`);
                        seen.add(p.key);
                    }
                    assert.equal(plan.services.scheduler.replicas, 1);
                    assert.equal(plan.services.scheduler.order, "stop-first");
                },
            ),
            { numRuns: 40 },
        );
    });

    it("leaves processes that are not worker replicas alone", () => {
        const model = buildBenchModel(config({ short: 1, long: 1, custom: 0 }));
        const { processes, renamed } = mergeReplicas(model.processes);
        assert.deepEqual(
            [...renamed.entries()],
            [
                ["queue-short-1", "queue-short"],
                ["queue-long-1", "queue-long"],
            ],
        );
        assert.deepEqual(
            processes.filter((p) => !p.key.startsWith("queue-")).map((p) => p.key),
            model.processes.filter((p) => !p.key.startsWith("queue-")).map((p) => p.key),
        );
    });

    it("refuses a service role without a Swarm decision", () => {
        const model = buildBenchModel(config({ short: 1, long: 1, custom: 0 }));
        const backend = model.processes.find((p) => p.key === "backend");
        assert.ok(backend && backend.kind === "service");
        assert.throws(
            () => roleSettings({ ...backend, role: "migrate" }, 1, SWARM),
            /has role migrate, which has no Swarm settings/,
        );
    });

    it("switches only Traefik's provider options to the swarm provider", () => {
        assert.deepEqual(
            swarmTraefikArgs([
                "--providers.docker=true",
                "--providers.docker.network=n",
                "--providers.dockerx=1",
                "--ping=true",
            ]),
            ["--providers.swarm=true", "--providers.swarm.network=n", "--providers.dockerx=1", "--ping=true"],
        );
    });
});
