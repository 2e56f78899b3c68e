import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Cluster, NODES, run } from "./cluster";

/**
 * The stand-in images, built once from image.sh's root filesystem with `docker import` on node 1 and
 * copied to the other nodes with `docker save | docker load`, under the exact references the program
 * renders (so no service spec is changed to use them). What an image is follows its repository.
 */

/** What makes a release of the Frappe image misbehave (image ENV read by the gunicorn stand-in). */
export interface FrappeRelease {
    /** The backend exits 1 this many seconds after it started. */
    readonly failAfterSeconds?: number;
    /** The backend answers 500, so it never becomes healthy. */
    readonly unhealthy?: boolean;
}

function changes(ref: string, release: FrappeRelease): string[] {
    const repo = ref.slice(0, ref.lastIndexOf(":"));
    const tag = ref.slice(ref.lastIndexOf(":") + 1);
    const env = (kv: string) => ["--change", `ENV ${kv}`];
    const base = [...env("PATH=/usr/local/bin:/usr/bin:/bin"), ...env(`STANDIN_VERSION=${tag}`)];
    if (/(^|\/)(erpnext|frappe)$/.test(repo)) {
        return [
            ...base,
            ...["--change", "USER frappe", "--change", "WORKDIR /home/frappe/frappe-bench"],
            ...(release.failAfterSeconds !== undefined ? env(`STANDIN_FAIL_AFTER=${release.failAfterSeconds}`) : []),
            ...(release.unhealthy === true ? env("STANDIN_UNHEALTHY=1") : []),
        ];
    }
    if (repo === "postgres") {
        return [
            ...base,
            ...env("PGDATA=/var/lib/postgresql/data"),
            ...["--change", 'ENTRYPOINT ["docker-entrypoint.sh"]', "--change", 'CMD ["postgres"]'],
        ];
    }
    if (repo === "redis") {
        return [
            ...base,
            ...["--change", "WORKDIR /data", "--change", 'ENTRYPOINT ["docker-entrypoint.sh"]'],
            ...["--change", 'CMD ["redis-server"]'],
        ];
    }
    if (repo === "traefik") {
        return [...base, "--change", 'ENTRYPOINT ["/entrypoint.sh"]', "--change", 'CMD ["traefik"]'];
    }
    throw new Error(`no stand-in for image ${ref} (frappe/erpnext, postgres, redis and traefik have one)`);
}

export class StandinImages {
    private readonly rootfs = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "fsw-rootfs-")), "rootfs.tar");
    private built = false;

    constructor(private readonly cluster: Cluster) {}

    /** Makes each image exist on every node (Frappe releases with their behaviour). */
    ensure(refs: readonly string[], releases: Readonly<Record<string, FrappeRelease>> = {}): void {
        if (!this.built) {
            const r = run("bash", [path.join(__dirname, "image.sh"), this.rootfs]);
            if (r.status !== 0) {
                throw new Error(`image.sh failed: ${r.stderr}`);
            }
            this.built = true;
        }
        for (const ref of refs) {
            if (this.cluster.docker(1, ["image", "inspect", ref]).status === 0) {
                continue;
            }
            const tag = ref.slice(ref.lastIndexOf(":") + 1);
            this.cluster.dockerOk(1, ["import", ...changes(ref, releases[tag] ?? {}), this.rootfs, ref]);
            const saved = path.join(path.dirname(this.rootfs), "image.tar");
            this.cluster.dockerOk(1, ["save", "-o", saved, ref]);
            for (let node = 2; node <= NODES; node++) {
                this.cluster.dockerOk(node, ["load", "-i", saved]);
            }
            fs.rmSync(saved);
        }
    }

    dispose(): void {
        fs.rmSync(path.dirname(this.rootfs), { recursive: true, force: true });
    }
}
