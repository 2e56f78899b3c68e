import { strict as assert } from "assert";
import { formatIssues } from "../components/config/issues";
import { parseStackConfig } from "../components/config/load";
import { isValidConstraint } from "../components/config/swarmSchema";
import { REPO_ROOT } from "./harness";

const NFS = { type: "nfs", o: "addr=10.0.0.5,nfsvers=4,rw", device: ":/exports/frappe-sites" };

function parse(swarm: unknown) {
    return parseStackConfig({
        stack: "staging",
        entries: { "frappe:tag": "v15.88.1", "frappe:swarm": JSON.stringify(swarm) },
        isSecret: () => false,
        projectRoot: REPO_ROOT,
    });
}

/** The one issue for `key`, with the value it shows and what it expects. */
function issue(swarm: unknown, key: string): { value: unknown; expected: string } {
    const r = parse(swarm);
    assert.equal(r.config, undefined, "expected the config to be refused");
    const found = r.issues.find((i) => i.key === key);
    assert.ok(found, `no issue for ${key}; got:\n${formatIssues(r.issues)}`);
    return found;
}

describe("frappe:swarm", () => {
    it("fills the documented defaults around a sites volume", () => {
        const r = parse({ sitesVolume: { options: NFS } });
        assert.deepEqual(r.issues, [], formatIssues(r.issues));
        assert.deepEqual(r.config?.swarm, {
            sitesVolume: { driver: "local", options: NFS },
            replicas: { backend: 2, frontend: 2, websocket: 1 },
            placement: {
                db: ["node.role == manager"],
                redis: ["node.role == manager"],
                proxy: ["node.role == manager"],
            },
            encryptOverlay: true,
            endpointMode: "vip",
            update: { parallelism: 1, delay: "10s", monitor: "30s", order: "start-first" },
        });
    });

    it("takes endpointMode vip or dnsrr, and names both and the kernel requirement for anything else", () => {
        assert.equal(
            parse({ sitesVolume: { options: NFS }, endpointMode: "dnsrr" }).config?.swarm?.endpointMode,
            "dnsrr",
        );
        const bad = issue({ sitesVolume: { options: NFS }, endpointMode: "dns" }, "frappe:swarm.endpointMode");
        assert.equal(bad.value, "dns");
        assert.match(bad.expected, /^vip .*ip_vs.* or dnsrr/);
    });

    it("is absent unless set (a single Docker host)", () => {
        const r = parseStackConfig({
            stack: "staging",
            entries: { "frappe:tag": "v15.88.1" },
            isSecret: () => false,
            projectRoot: REPO_ROOT,
        });
        assert.equal(r.config?.swarm, undefined);
    });

    it("refuses a Swarm stack without shared sites storage", () => {
        assert.match(issue({}, "frappe:swarm.sitesVolume").expected, /type/);
        const local = issue({ sitesVolume: { options: {} } }, "frappe:swarm.sitesVolume.options.type");
        assert.match(local.expected, /each node gets its own empty sites volume/);
        assert.match(
            issue({ sitesVolume: { options: { type: "nfs", device: ":/x" } } }, "frappe:swarm.sitesVolume.options.o")
                .expected,
            /addr=/,
        );
        const pw = issue(
            { sitesVolume: { options: { type: "cifs", device: "//nas/sites", o: "username=erp,password=hunter2" } } },
            "frappe:swarm.sitesVolume.options.o",
        );
        assert.match(pw.expected, /no password in volume options/);
        assert.match(pw.expected, /credentials=/);
    });

    it("refuses an adopted sites volume, which exists on one node only", () => {
        const r = parseStackConfig({
            stack: "staging",
            entries: {
                "frappe:tag": "v15.88.1",
                "frappe:volumes": JSON.stringify({ sites: "frappe_docker_sites" }),
                "frappe:swarm": JSON.stringify({ sitesVolume: { options: NFS } }),
            },
            isSecret: () => false,
            projectRoot: REPO_ROOT,
        });
        const found = r.issues.find((i) => i.key === "frappe:volumes.sites");
        assert.ok(found, formatIssues(r.issues));
        assert.equal(found.value, "frappe_docker_sites");
        assert.match(found.expected, /exists on one node|lives on one node/);
    });

    it("accepts a volume plugin with its own options", () => {
        const r = parse({ sitesVolume: { driver: "rexray/efs", options: {} } });
        assert.deepEqual(r.issues, [], formatIssues(r.issues));
    });

    it("names the key, the value and what would work for bad values", () => {
        const bad: [unknown, string, RegExp][] = [
            [
                { sitesVolume: { options: NFS }, replicas: { backend: 0 } },
                "frappe:swarm.replicas.backend",
                /between 1 and 64/,
            ],
            [
                { sitesVolume: { options: NFS }, replicas: { scheduler: 2 } },
                "frappe:swarm.replicas.scheduler",
                /no such key/,
            ],
            [
                { sitesVolume: { options: NFS }, placement: { db: ["node.role = manager"] } },
                "frappe:swarm.placement.db[0]",
                /node.role == manager/,
            ],
            [
                { sitesVolume: { options: NFS }, placement: { db: ["node.lables.db == true"] } },
                "frappe:swarm.placement.db[0]",
                /node.labels/,
            ],
            [
                { sitesVolume: { options: NFS }, placement: { proxy: [] } },
                "frappe:swarm.placement.proxy",
                /at least one/,
            ],
            [
                { sitesVolume: { options: NFS }, update: { delay: "10 seconds" } },
                "frappe:swarm.update.delay",
                /a duration such as 10s/,
            ],
            [
                { sitesVolume: { options: NFS }, update: { order: "rolling" } },
                "frappe:swarm.update.order",
                /start-first or stop-first/,
            ],
            [
                { sitesVolume: { options: NFS, driver: "Local Driver" } },
                "frappe:swarm.sitesVolume.driver",
                /volume driver/,
            ],
        ];
        for (const [swarm, key, expected] of bad) {
            const found = issue(swarm, key);
            assert.match(found.expected, expected, key);
        }
        assert.equal(
            issue({ sitesVolume: { options: NFS }, update: { delay: "10 seconds" } }, "frappe:swarm.update.delay")
                .value,
            "10 seconds",
        );
    });

    it("accepts only constraints swarmkit parses and can match", () => {
        for (const c of [
            "node.role == manager",
            "node.role==worker",
            "node.hostname != db1",
            "node.labels.frappe.db == true",
            "engine.labels.disk == ssd",
            "node.platform.arch == x86_64",
            "node.ip == 10.0.0.0/24",
        ]) {
            assert.equal(isValidConstraint(c), true, c);
        }
        for (const c of [
            "node.role == boss",
            "node.role = manager",
            "node.lables.db == true",
            "node.hostname == a>b",
            "== manager",
        ]) {
            assert.equal(isValidConstraint(c), false, c);
        }
    });
});
