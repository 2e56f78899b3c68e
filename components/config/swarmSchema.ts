import { z } from "zod";

/**
 * `frappe:swarm`: its presence renders the bench onto Docker Swarm services instead of containers on
 * one host. Validated here (the stack schema includes it as one key) so that a bad value is refused
 * with the key, the value and what would work, before anything is registered.
 */

/** Default placement of the stateful services and the proxy: a manager, where their local volumes are. */
const MANAGER_CONSTRAINT = "node.role == manager";

/**
 * Swarm placement constraint, as swarmkit parses it (moby/swarmkit manager/constraint/constraint.go):
 * `key == value` or `key != value`; keys match `^(?i)[a-z_][a-z0-9\-_.]+$`, values
 * `^(?i)[a-z0-9:\-_\s\.\*\(\)\?\+\[\]\\\^\$\|\/]+$`. A key swarmkit does not know (node.lables.db)
 * parses but matches no node, so the service would never be scheduled: only its keys are accepted.
 */
const CONSTRAINT_KEY =
    /^(?:node\.(?:id|hostname|ip|role|platform\.os|platform\.arch)|(?:node|engine)\.labels\.[A-Za-z0-9_][A-Za-z0-9\-_.]*)$/i;
const CONSTRAINT_VALUE = /^[a-z0-9:\-_\s.*()?+[\]\\^$|/]+$/i;

/** Whether swarmkit would accept the constraint and could ever match a node with it. */
export function isValidConstraint(text: string): boolean {
    const op = text.includes("==") ? "==" : text.includes("!=") ? "!=" : undefined;
    if (op === undefined) {
        return false;
    }
    const i = text.indexOf(op);
    const key = text.slice(0, i).trim();
    const value = text.slice(i + op.length).trim();
    if (!CONSTRAINT_KEY.test(key) || !CONSTRAINT_VALUE.test(value)) {
        return false;
    }
    return key.toLowerCase() !== "node.role" || ["manager", "worker"].includes(value.toLowerCase());
}

const constraint = z.string().refine(isValidConstraint, {
    error:
        "a Swarm constraint such as node.role == manager, node.hostname == db1 or node.labels.frappe.db == true " +
        "(keys node.id, node.hostname, node.ip, node.role, node.platform.os, node.platform.arch, node.labels.*, " +
        "engine.labels.*; operator == or !=)",
});

const constraints = z.array(constraint).min(1, { error: "at least one constraint" }).default([MANAGER_CONSTRAINT]);

/** Go's time.ParseDuration units in whole seconds or minutes, as Docker reads them back: 10s, 1m30s, 1h0m0s. */
const DURATION = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/;

/** Seconds in a duration such as `10s`, `1m30s` or `2m`; undefined when it is not one. */
export function durationSeconds(text: string): number | undefined {
    const m = DURATION.exec(text);
    if (!m || text === "") {
        return undefined;
    }
    return Number(m[1] ?? 0) * 3600 + Number(m[2] ?? 0) * 60 + Number(m[3] ?? 0);
}

const duration = (max: number) =>
    z.string().refine((d) => (durationSeconds(d) ?? Infinity) <= max, {
        error: `a duration such as 10s, 30s or 1m30s (whole seconds, at most ${max}s)`,
    });

function count(min: number, max: number) {
    const error = `an integer between ${min} and ${max}`;
    return z.number({ error }).int({ error }).min(min, { error }).max(max, { error });
}

/** Volume options are Docker's `--opt key=value` pairs; a password in them would be plain text everywhere. */
const optionKey = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, { error: "an option name such as type, o, device" });

const sitesVolumeSchema = z.strictObject({
    driver: z
        .string()
        .regex(/^[a-z0-9][a-z0-9._/:-]*$/, { error: "a volume driver such as local or a plugin name" })
        .default("local"),
    options: z.record(optionKey, z.string({ error: "a string" }), {
        error: 'driver options as strings, e.g. { type: nfs, o: "addr=10.0.0.5,nfsvers=4,rw", device: ":/exports/frappe-sites" }',
    }),
});

export const swarmConfigSchema = z.strictObject({
    /** Shared storage every node mounts for `sites`. */
    sitesVolume: sitesVolumeSchema,
    replicas: z
        .strictObject({
            backend: count(1, 64).default(2),
            frontend: count(1, 64).default(2),
            websocket: count(1, 64).default(1),
        })
        .prefault({}),
    placement: z.strictObject({ db: constraints, redis: constraints, proxy: constraints }).prefault({}),
    /**
     * How services reach each other by name: `vip` (Swarm's default) gives each service one virtual IP,
     * which needs IPVS (the ip_vs kernel module) on every node; `dnsrr` returns the addresses of the
     * service's tasks instead, which needs nothing from the kernel but allows only host-mode published ports.
     */
    endpointMode: z
        .enum(["vip", "dnsrr"], {
            error:
                "vip (Swarm's virtual IPs; every node's kernel needs the ip_vs module) or dnsrr (names resolve to the " +
                "tasks' addresses; for nodes without ip_vs, docs/swarm.md)",
        })
        .default("vip"),
    /**
     * Whether the overlay networks encrypt the traffic between nodes (IPsec ESP, IP protocol 50, which every
     * node's firewall must pass between the nodes). On by default: the database and Redis connections and the
     * sites' own traffic cross the nodes' network. Off only where that network is private and trusted, to
     * save the encryption's cost (docs/swarm.md).
     */
    encryptOverlay: z.boolean({ error: "true (encrypt traffic between nodes, the default) or false" }).default(true),
    update: z
        .strictObject({
            parallelism: count(0, 64).default(1),
            delay: duration(3600).default("10s"),
            monitor: duration(3600).default("30s"),
            order: z.enum(["start-first", "stop-first"], { error: "start-first or stop-first" }).default("start-first"),
        })
        .prefault({}),
});

export type SwarmConfig = z.output<typeof swarmConfigSchema>;

/** A rule over `frappe:swarm` and the keys it meets; `path` is relative to `frappe:`. */
export interface SwarmProblem {
    readonly path: readonly (string | number)[];
    readonly expected: string;
    readonly involves: readonly string[];
}

/** Options that make the local driver mount shared storage rather than a directory of one node. */
function sitesVolumeProblems(s: SwarmConfig): SwarmProblem[] {
    const out: SwarmProblem[] = [];
    const at = (key: string, expected: string) =>
        out.push({ path: ["swarm", "sitesVolume", "options", key], expected, involves: ["swarm"] });
    const o = s.sitesVolume.options;
    if (s.sitesVolume.driver === "local") {
        if (o.type === undefined || o.device === undefined) {
            at(
                o.type === undefined ? "type" : "device",
                "type and device for the local driver (e.g. type: nfs, device: :/exports/frappe-sites); without them " +
                    "each node gets its own empty sites volume and the bench splits",
            );
        }
        if ((o.type === "nfs" || o.type === "nfs4") && !/(?:^|,)addr=/.test(o.o ?? "")) {
            at("o", 'addr=<NFS server> among the mount options, e.g. "addr=10.0.0.5,nfsvers=4,rw"');
        }
        if (o.type === "none" && /(?:^|,)r?bind(?:,|$)/.test(o.o ?? "")) {
            at(
                "device",
                "shared storage, not a host directory: type none with o bind mounts this directory of each node " +
                    "into every Frappe container (a path such as /var/run would hand them the Docker socket, root " +
                    "on the node), and a node's directory is not shared; give the filesystem's own options instead " +
                    '(e.g. type: nfs, o: "addr=10.0.0.5,nfsvers=4,rw", device: ":/exports/frappe-sites")',
            );
        }
    }
    for (const [key, value] of Object.entries(o)) {
        if (/(?:^|,)(?:password|pass)=/i.test(value)) {
            at(
                key,
                "no password in volume options (they are plain text in the stack, the service spec and docker inspect); " +
                    "use a credentials file on each node (e.g. cifs credentials=/root/.smbcredentials)",
            );
        }
    }
    return out;
}

/** The parts of the stack config that `frappe:swarm` reads or that cannot work on Swarm. */
export interface SwarmContext {
    readonly swarm?: SwarmConfig;
    /** `frappe:volumes`: existing Docker volumes adopted as they are. */
    readonly volumes?: Readonly<Record<string, string | undefined>>;
    readonly proxy?: { readonly bindAddress?: string };
}

/** Everything wrong with `frappe:swarm` beyond its own shape. */
export function swarmProblems(c: SwarmContext): SwarmProblem[] {
    if (c.swarm === undefined) {
        return [];
    }
    const out = sitesVolumeProblems(c.swarm);
    if (c.volumes?.sites !== undefined) {
        out.push({
            path: ["volumes", "sites"],
            expected:
                "no adopted sites volume with frappe:swarm: an existing Docker volume lives on one node, while every node " +
                "must mount the shared storage of frappe:swarm.sitesVolume (copy the sites there first, docs/swarm.md)",
            involves: ["volumes", "swarm"],
        });
    }
    if (c.proxy?.bindAddress !== undefined) {
        out.push({
            path: ["proxy", "bindAddress"],
            expected:
                "no bind address with frappe:swarm: a Swarm service cannot publish a port on one address (its port " +
                "configuration has no address: moby/swarmkit api/types.proto PortConfig; a host-mode port binds " +
                "every interface of the node), so remove the key and restrict the published ports with a firewall in " +
                "front of the nodes or in Docker's DOCKER-USER chain of each node (docs/swarm.md)",
            involves: ["proxy", "swarm"],
        });
    }
    return out;
}
