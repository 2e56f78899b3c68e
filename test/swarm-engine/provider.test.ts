import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { createServiceSpec, goParseDuration } from "./provider";
import { replicatedDone, ServiceInspect, Task, tasksBySlot, waitForState } from "./service";

/*
 * The real-Swarm tier's translation of the docker provider (provider.ts, service.ts), checked without
 * an engine: the Engine API spec of a service the program renders (the Swarm golden's backend), the
 * schema defaults the provider fills in, and the convergence rule its waits apply.
 */

type Obj = Record<string, unknown>;
const GOLDEN = path.join(__dirname, "..", "graph", "swarm-postgres-https-three-sites.json");
const S = 1e9;

function goldenInputs(name: string): Obj {
    const golden = JSON.parse(fs.readFileSync(GOLDEN, "utf8")) as {
        resources: { name: string; custom: boolean; inputs: Obj }[];
    };
    const found = golden.resources.find((r) => r.custom && r.name === name);
    assert.ok(found, name);
    return found.inputs;
}

const task = (slot: number, desired: string, state: string): Task => ({
    ID: `${slot}-${desired}-${state}`,
    Slot: slot,
    NodeID: "n1",
    DesiredState: desired,
    Status: { State: state },
});
const svc = (replicas: number): ServiceInspect => ({
    ID: "s",
    Version: { Index: 1 },
    Spec: { Mode: { Replicated: { Replicas: replicas } } },
});

describe("real-Swarm tier: the provider's translation (kreuzwerker/terraform-provider-docker v4.5.0)", () => {
    it("turns the rendered backend into the swarm.ServiceSpec createServiceSpec builds", () => {
        const spec = createServiceSpec(goldenInputs("frappe-bench-backend"));
        const task = spec.TaskTemplate as Obj;
        const c = task.ContainerSpec as Obj;
        assert.equal(spec.Name, "frappe-staging-backend");
        assert.deepEqual(spec.Labels, { "frappe.role": "backend", "frappe.stack": "staging" });
        assert.equal(c.Image, "frappe/erpnext:v15.88.1");
        assert.ok((c.Env as string[]).includes("GUNICORN_WORKERS=2"));
        assert.deepEqual(c.Healthcheck, {
            Test: (((goldenInputs("frappe-bench-backend").taskSpec as Obj).containerSpec as Obj).healthcheck as Obj)
                .tests,
            Interval: 10 * S,
            Timeout: 5 * S,
            StartPeriod: 60 * S,
            Retries: 5,
        });
        assert.equal(c.StopGracePeriod, 30 * S);
        assert.deepEqual([c.Init, c.Isolation, c.DNSConfig], [false, "default", {}]);
        const sites = (c.Mounts as Obj[]).find((m) => m.Target === "/home/frappe/frappe-bench/sites") as Obj;
        assert.deepEqual((sites.VolumeOptions as Obj).DriverConfig, {
            Name: "local",
            Options: { device: ":/exports/frappe-sites", o: "addr=10.0.0.5,nfsvers=4,rw", type: "nfs" },
        });
        assert.deepEqual(task.Networks, [
            { Target: "frappe-networks-data-id", Aliases: ["backend"], DriverOpts: {} },
            { Target: "frappe-networks-bench-id", Aliases: ["backend"], DriverOpts: {} },
        ]);
        assert.deepEqual(task.RestartPolicy, { Condition: "any", Delay: 5 * S, MaxAttempts: 0, Window: 0 });
        assert.deepEqual(task.Placement, {});
        assert.deepEqual(spec.Mode, { Replicated: { Replicas: 2 } });
        assert.deepEqual(spec.UpdateConfig, {
            Parallelism: 1,
            Delay: 10 * S,
            FailureAction: "pause",
            Monitor: 30 * S,
            MaxFailureRatio: 0,
            Order: "start-first",
        });
        assert.deepEqual(spec.EndpointSpec, { Mode: "vip", Ports: [] });
    });

    it("fills in the schema's defaults where the inputs leave a field out", () => {
        const spec = createServiceSpec({
            name: "x",
            taskSpec: {
                containerSpec: { image: "i", secrets: [{ secretId: "s", fileName: "/run/secrets/s" }] },
                placement: { constraints: ["node.role == manager"] },
            },
            updateConfig: {},
            endpointSpec: { ports: [{ targetPort: 80 }] },
        });
        const c = (spec.TaskTemplate as Obj).ContainerSpec as Obj;
        assert.deepEqual((c.Secrets as Obj[])[0], {
            SecretID: "s",
            SecretName: "",
            File: { Name: "/run/secrets/s", UID: "0", GID: "0", Mode: 0o444 },
        });
        assert.equal(c.StopGracePeriod, 0, 'Optional+Computed and unset: "" parses as 0');
        assert.deepEqual(spec.UpdateConfig, {
            Parallelism: 1,
            Delay: 0,
            FailureAction: "pause",
            Monitor: 5 * S,
            MaxFailureRatio: 0,
            Order: "stop-first",
        });
        assert.equal(spec.RollbackConfig, undefined);
        assert.deepEqual(spec.EndpointSpec, {
            Mode: "",
            Ports: [{ Name: "", Protocol: "tcp", TargetPort: 80, PublishedPort: 0, PublishMode: "ingress" }],
        });
        assert.deepEqual((spec.TaskTemplate as Obj).Placement, {
            Constraints: ["node.role == manager"],
            Preferences: [],
            Platforms: [],
            MaxReplicas: 0,
        });
    });

    it("parses durations as Go's time.ParseDuration does, 0 for what it refuses", () => {
        assert.deepEqual(["1m30s", "10s", "1h", "1.5s", "250ms", "", "10 s", "5"].map(goParseDuration), [
            90 * S,
            10 * S,
            3600 * S,
            1.5 * S,
            0.25 * S,
            0,
            0,
            0,
        ]);
    });

    it("counts a service converged once every slot has a running task, whichever spec it runs", () => {
        // Start-first, after the first slot: its new task runs, its old one was told to shut down
        // (filtered out by the desired-state query), the second slot still runs the previous spec.
        assert.equal(
            replicatedDone(svc(2), [task(1, "running", "running"), task(2, "running", "running")], new Set(["n1"])),
            true,
        );
        // A slot whose new task is still starting next to its old running task counts as not running.
        const starting = [task(1, "running", "starting"), task(1, "running", "running"), task(2, "running", "running")];
        assert.equal(tasksBySlot(starting, new Set(["n1"])).get(1)?.Status.State, "starting");
        assert.equal(replicatedDone(svc(2), starting, new Set(["n1"])), false);
        // Tasks on a node that is down do not count.
        assert.equal(
            replicatedDone(svc(2), [task(1, "running", "running"), task(2, "running", "running")], new Set()),
            false,
        );
    });

    it("waits as StateChangeConf does: pending states go on, the target ends it, anything else fails", async () => {
        const states = ["creating", "creating", "running"];
        let calls = 0;
        const state = await waitForState({
            delayMs: 0,
            timeoutMs: 5000,
            minTimeoutMs: 10,
            pending: ["creating"],
            target: ["running"],
            refresh: () => Promise.resolve(states[calls++]),
        });
        assert.deepEqual([state, calls], ["running", 3]);
        const refresh = () => Promise.resolve("paused-by-hand");
        await assert.rejects(
            waitForState({
                delayMs: 0,
                timeoutMs: 5000,
                minTimeoutMs: 10,
                pending: ["updating"],
                target: ["completed"],
                refresh,
            }),
            /unexpected state 'paused-by-hand'/,
        );
        const never = () => Promise.resolve("updating");
        await assert.rejects(
            waitForState({
                delayMs: 0,
                timeoutMs: 200,
                minTimeoutMs: 10,
                pending: ["updating"],
                target: ["completed"],
                refresh: never,
            }),
            /timeout while waiting for state/,
        );
    });
});
