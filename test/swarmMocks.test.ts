import { strict as assert } from "assert";
import fc from "fast-check";
import { shortDuration } from "../components/swarm/durations";
import { providerRejections } from "./mocks";
import { constraintError, isShortDur, providerShortDur } from "./swarmMocks";

const SERVICE = "docker:index/service:Service";
const SECRET = "docker:index/secret:Secret";
const CONFIG = "docker:index/serviceConfig:ServiceConfig";

/** A service as the Swarm renderer writes one; every rule below is checked against a copy of it. */
function goodService(): Record<string, unknown> {
    return {
        name: "frappe-staging-backend",
        labels: [{ label: "frappe.role", value: "backend" }],
        taskSpec: {
            containerSpec: {
                image: "frappe/erpnext:v15.88.1",
                args: ["bench", "schedule"],
                env: { A: "1" },
                labels: [{ label: "frappe.stack", value: "staging" }],
                mounts: [
                    {
                        type: "volume",
                        source: "frappe-staging-sites",
                        target: "/home/frappe/frappe-bench/sites",
                        volumeOptions: { driverName: "local", driverOptions: { type: "nfs" } },
                    },
                    { type: "bind", source: "/var/run/docker.sock", target: "/var/run/docker.sock", readOnly: true },
                ],
                secrets: [{ secretId: "id1", fileName: "/run/secrets/x", fileUid: "0", fileGid: "0", fileMode: 0o444 }],
                configs: [{ configId: "id2", fileName: "/home/frappe/x.sh", fileMode: 0o555 }],
                healthcheck: { tests: ["CMD", "true"], interval: "10s", timeout: "5s", startPeriod: "1m", retries: 3 },
                stopGracePeriod: "2m",
            },
            networksAdvanceds: [{ id: "net-id", aliases: ["backend"] }],
            placement: { constraints: ["node.role == manager", "node.labels.frappe.db==true"] },
            restartPolicy: { condition: "any", delay: "5s" },
            logDriver: { name: "json-file", options: { "max-size": "10m" } },
        },
        mode: { replicated: { replicas: 2 } },
        updateConfig: { parallelism: 1, delay: "10s", monitor: "30s", order: "start-first", failureAction: "rollback" },
        rollbackConfig: { parallelism: 1, delay: "10s", monitor: "30s", order: "start-first", failureAction: "pause" },
        endpointSpec: { mode: "vip", ports: [{ targetPort: 80, publishedPort: 80, publishMode: "host" }] },
        convergeConfig: { delay: "7s", timeout: "16m20s" },
    };
}

/** The good service with one value replaced at a dotted path (numbers index lists). */
function patched(path: string, value: unknown): Record<string, unknown> {
    const root = goodService();
    const parts = path.split(".");
    let cur = root;
    for (const p of parts.slice(0, -1)) {
        cur = cur[p] as Record<string, unknown>;
    }
    cur[parts[parts.length - 1]] = value;
    return root;
}

describe("strict Swarm mocks (kreuzwerker/terraform-provider-docker v4.5.0, moby/swarmkit)", () => {
    it("accept a well-formed service, secret, config and overlay network", () => {
        assert.deepEqual(providerRejections(SERVICE, "s", goodService()), []);
        const hostPortsDnsrr = patched("endpointSpec.mode", "dnsrr");
        assert.deepEqual(providerRejections(SERVICE, "s", hostPortsDnsrr), [], "dnsrr with host-mode ports");
        assert.deepEqual(providerRejections(SECRET, "s", { data: Buffer.from("pw").toString("base64") }), []);
        assert.deepEqual(providerRejections(CONFIG, "c", { data: Buffer.from("#!/bin/sh").toString("base64") }), []);
        assert.deepEqual(
            providerRejections("docker:index/network:Network", "n", {
                name: "frappe-s-network",
                driver: "overlay",
                attachable: true,
            }),
            [],
        );
    });

    const bad: [string, string, unknown, RegExp][] = [
        ["a service name that is no DNS label", "name", "frappe.staging.backend", /DNS name component/],
        ["a service name over 63 characters", "name", `f${"x".repeat(63)}`, /63 characters/],
        ["no image", "taskSpec.containerSpec.image", "", /image is required/],
        [
            "a mount type the provider does not know",
            "taskSpec.containerSpec.mounts.0.type",
            "npipe",
            /bind\|volume\|tmpfs/,
        ],
        ["a relative mount target", "taskSpec.containerSpec.mounts.0.target", "sites", /absolute/],
        [
            "volume options on a bind mount",
            "taskSpec.containerSpec.mounts.1.volumeOptions",
            { noCopy: true },
            /VolumeOptions/,
        ],
        ["a secret without file name", "taskSpec.containerSpec.secrets.0.fileName", "", /fileName is required/],
        ["a config without id", "taskSpec.containerSpec.configs.0.configId", undefined, /configId is required/],
        ["a duration Go cannot parse", "taskSpec.containerSpec.healthcheck.interval", "10 s", /not a valid duration/],
        ["1m0s, which reads back as 1m", "taskSpec.containerSpec.healthcheck.startPeriod", "1m0s", /shortDur/],
        ["90s, which reads back as 1m30s", "taskSpec.containerSpec.stopGracePeriod", "90s", /shortDur/],
        ["a network given by name", "taskSpec.networksAdvanceds", [{ name: "net", aliases: [] }], /network id/],
        [
            "a constraint without operator",
            "taskSpec.placement.constraints",
            ["node.role=manager"],
            /operator from ==, !=/,
        ],
        [
            "a constraint with a bad value",
            "taskSpec.placement.constraints",
            ["node.hostname == a>b"],
            /value 'a>b' is invalid/,
        ],
        [
            "a restart condition Swarm lacks",
            "taskSpec.restartPolicy.condition",
            "unless-stopped",
            /none\|on-failure\|any/,
        ],
        ["a log driver without name", "taskSpec.logDriver", { options: {} }, /logDriver.name is required/],
        ["negative replicas", "mode.replicated.replicas", -1, /replicas/],
        ["an update failure action outside the enum", "updateConfig.failureAction", "retry", /failureAction/],
        ["an update order outside the enum", "updateConfig.order", "start-last", /order/],
        [
            "rollback as the rollback's own failure action",
            "rollbackConfig.failureAction",
            "rollback",
            /pause\|continue/,
        ],
        ["a failure ratio that is no ratio", "updateConfig.maxFailureRatio", "half", /ratio/],
        ["an endpoint mode outside the enum", "endpointSpec.mode", "nat", /vip\|dnsrr/],
        [
            "an ingress-mode port with dnsrr",
            "endpointSpec",
            { mode: "dnsrr", ports: [{ targetPort: 80, publishedPort: 80 }] },
            /ingress mode can't be used with dnsrr mode/,
        ],
        [
            "a publish mode outside the enum",
            "endpointSpec.ports",
            [{ targetPort: 80, publishMode: "local" }],
            /host\|ingress/,
        ],
        ["a converge timeout of 3m0s", "convergeConfig.timeout", "3m0s", /shortDur/],
        ["global mode with converge", "mode", { global: true }, /conflicts/],
    ];
    for (const [what, path, value, message] of bad) {
        it(`refuse ${what}`, () => {
            const errors = providerRejections(SERVICE, "s", patched(path, value));
            assert.ok(errors.length >= 1, `expected a rejection for ${path}=${JSON.stringify(value)}`);
            assert.match(errors.join("\n"), message);
        });
    }

    it("refuse secrets and configs Swarm would refuse, without printing their data", () => {
        const reject = (type: string, inputs: Record<string, unknown>) =>
            providerRejections(type, "x", inputs).join("\n");
        assert.match(reject(SECRET, {}), /data is required/);
        assert.match(reject(SECRET, { data: "pläin" }), /not base64 decodeable/);
        assert.doesNotMatch(reject(SECRET, { data: "pläin" }), /pläin/);
        assert.match(reject(SECRET, { data: "" }), /larger than 0/);
        assert.match(reject(SECRET, { data: "cGFzcw==", name: "-bad" }), /invalid name/);
        assert.match(reject(SECRET, { data: "cGFzcw==", name: "x".repeat(65) }), /invalid name/);
        assert.match(reject(CONFIG, { data: "cGFzcw==", dataRaw: "pass" }), /exactly one of data and dataRaw/);
        assert.match(reject(CONFIG, {}), /exactly one of data and dataRaw/);
    });

    it("parse constraints as swarmkit does", () => {
        assert.equal(constraintError("node.role == manager"), undefined);
        assert.equal(constraintError("node.labels.frappe.db != false"), undefined);
        assert.equal(constraintError("engine.labels.disk==ssd"), undefined);
        assert.match(constraintError("1node.role == manager") ?? "", /key/);
        assert.match(constraintError("node.role ~ manager") ?? "", /operator/);
    });

    it("know the provider's shortDur and agree with the renderer on every whole-second duration", () => {
        for (const [seconds, text] of [
            [0, "0s"],
            [5, "5s"],
            [60, "1m"],
            [90, "1m30s"],
            [3600, "1h"],
            [3660, "1h1m"],
            [3601, "1h0m1s"],
        ] as const) {
            assert.equal(providerShortDur(seconds), text);
            assert.equal(isShortDur(text), true, text);
        }
        for (const text of ["60s", "1m0s", "1h0m0s", "1h0m", "0m5s", ""]) {
            assert.equal(isShortDur(text), false, text);
        }
        fc.assert(
            fc.property(fc.integer({ min: 0, max: 10 * 86400 }), (n) => shortDuration(n) === providerShortDur(n)),
        );
    });
});
