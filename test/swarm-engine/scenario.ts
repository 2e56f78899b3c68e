import * as fs from "fs";
import * as path from "path";
import { isDeepStrictEqual } from "util";
import { mountWithDriver } from "../../components/jobs/jobRun";
import { CapturedResource, ProgramRun, runProgram } from "../harness";
import { Cluster } from "./cluster";

/**
 * The stack the tier deploys: the Swarm acceptance scenario of test/swarm.test.ts (Postgres, HTTPS
 * through Traefik, several sites, custom workers, offsite backups) on this cluster: `docker:host` is
 * the manager's socket, the sites volume is on NFS (see `standInNfs`), db and Redis are pinned to node 1 by a node label and the
 * proxy by hostname. One replica per worker queue keeps each rollout short; a 20 s update delay (10 s by
 * default) gives the release that fails mid-rollout (swarm.test.ts) a second slot that starts well after
 * the provider's update wait has returned, even on a loaded machine; everything else is the default.
 */

export const STACK = "staging";
export const SITES = ["a.example.com", "b.example.com"];
export const SERVICE = "docker:index/service:Service";

type Obj = Record<string, unknown>;

export const SECRETS = {
    dbPassword: "db-secret-1",
    adminPassword: "admin-secret-1",
    resticPassword: "restic-secret-1",
    s3AccessKeyId: "s3-id-secret-1",
    s3SecretAccessKey: "s3-key-secret-1",
};

export interface Deploy {
    readonly stack?: string;
    readonly tag: string;
    readonly secrets?: Partial<typeof SECRETS>;
    /** More `frappe:` keys (merged over the scenario's). */
    readonly config?: Record<string, unknown>;
    /** More `frappe:swarm` keys (merged over the scenario's). */
    readonly swarm?: Record<string, unknown>;
}

/** The directory every node mounts as the sites volume (owned by the frappe user, as docs/swarm.md asks of NFS). */
export function sharedSites(cluster: Cluster, stack = STACK): string {
    const dir = path.join(cluster.dir, `sites-${stack}`);
    if (!fs.existsSync(dir)) {
        fs.mkdirSync(dir);
        fs.chownSync(dir, 1000, 1000);
    }
    return dir;
}

export function scenarioConfig(cluster: Cluster, d: Deploy): Record<string, unknown> {
    return {
        "docker:host": cluster.host(1),
        tag: d.tag,
        sites: [{ name: SITES[0], apps: ["erpnext"] }, ...SITES.slice(1).map((name) => ({ name }))],
        db: { type: "postgres" },
        proxy: { type: "traefik", https: { email: "ops@example.com" } },
        workers: { short: 1, long: 1, custom: [{ name: "reports", queues: ["reports"], replicas: 1 }] },
        backup: { offsite: { repository: "s3:https://s3.example.com/bucket/erp" } },
        ...d.config,
        swarm: {
            sitesVolume: { options: NFS },
            placement: {
                db: ["node.labels.frappe.db == true"],
                redis: ["node.labels.frappe.db == true"],
                proxy: [`node.hostname == ${cluster.hostname(1)}`],
            },
            update: { delay: "20s" },
            // Unencrypted overlays: this machine's kernel has no IPsec ESP with AES-GCM, so an encrypted overlay
            // carries nothing between nodes; each engine logs `Failed Adding rSA{... Proto: esp, ... Aead: {Name:
            // rfc4106(gcm(aes)) ...}}: function not implemented` (the test "encrypted overlays" shows it).
            encryptOverlay: false,
            ...d.swarm,
        },
    };
}

/** The shared storage the stack is configured with: an NFS export, as docs/swarm.md has it. */
const NFS = { type: "nfs", o: "addr=198.18.19.250,nfsvers=4,rw", device: ":/exports/frappe-sites" };

/**
 * This machine's kernel has no NFS client, so the tier stands in for the NFS export: wherever the
 * program renders the sites volume's driver options (the docker.Volume, every service's mount, every
 * job's `--mount`, which the program builds with mountWithDriver), they become a bind of one directory
 * every node sees. The only inputs the tier changes; the config check refuses a bind as sites storage
 * for real stacks (a node's directory is not shared storage), which is why the config says NFS.
 */
function standInNfs(run: ProgramRun, dir: string): void {
    const bind = { type: "none", o: "bind", device: dir };
    const options = (d: typeof NFS) =>
        mountWithDriver("v", "/t", false, { driver: "local", options: d }).split("volume-driver=local,")[1];
    const [nfsCsv, bindCsv] = [options(NFS), options(bind)];
    const swap = (v: unknown): unknown => {
        if (isDeepStrictEqual(v, NFS)) {
            return { ...bind };
        }
        if (typeof v === "string") {
            return v.split(nfsCsv).join(bindCsv);
        }
        if (Array.isArray(v)) {
            return v.map(swap);
        }
        if (v !== null && typeof v === "object") {
            return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, swap(x)]));
        }
        return v;
    };
    for (const r of run.resources) {
        (r as { inputs: Obj }).inputs = swap(r.inputs) as Obj;
    }
}

/** The whole program under the mocks, for this deploy (the NFS export stood in for: `standInNfs`). */
export async function programRun(cluster: Cluster, d: Deploy): Promise<ProgramRun> {
    const run = await runProgram({
        stack: d.stack ?? STACK,
        config: scenarioConfig(cluster, d),
        secrets: { ...SECRETS, ...d.secrets },
    });
    if (run.error !== undefined || run.rejections.length > 0) {
        throw new Error(`program run failed: ${run.error?.message ?? run.rejections.join("; ")}`);
    }
    standInNfs(run, sharedSites(cluster, d.stack ?? STACK));
    return run;
}

export function services(run: ProgramRun): CapturedResource[] {
    return run.resources.filter((r) => r.custom && r.type === SERVICE);
}

export const containerSpecOf = (r: CapturedResource): Obj => (r.inputs.taskSpec as Obj).containerSpec as Obj;

/** Every image a service or job of the run uses. */
export function imagesOf(run: ProgramRun): string[] {
    const refs = new Set(services(run).map((r) => String(containerSpecOf(r).image)));
    for (const r of run.resources.filter((x) => x.custom && x.type === "command:local:Command")) {
        const env = (r.inputs.environment ?? {}) as Record<string, string | undefined>;
        const args = (env.FRAPPE_JOB_RUN_ARGS ?? "").split("\n");
        const i = args.indexOf("--entrypoint");
        // `{image}`: the job runs the image a service runs at that moment (FRAPPE_JOB_IMAGE_FROM).
        if (i >= 0 && !args[i + 2].includes("{")) {
            refs.add(args[i + 2]);
        }
    }
    return [...refs];
}
