import * as fs from "fs";
import * as path from "path";
import { Cluster } from "./cluster";
import { ServiceInspect, Task } from "./service";

/** What the tests look at on the cluster: sites, services, tasks, files inside tasks, traffic. */

/** Each site's maintenance_mode as the sites volume (the shared directory) has it. */
export function maintenance(sitesDir: string, sites: readonly string[]): Record<string, number> {
    return Object.fromEntries(
        sites.map((s) => {
            const config = JSON.parse(fs.readFileSync(path.join(sitesDir, s, "site_config.json"), "utf8")) as {
                maintenance_mode?: number;
            };
            return [s, config.maintenance_mode ?? 0];
        }),
    );
}

export async function service(cluster: Cluster, name: string): Promise<ServiceInspect> {
    return cluster.engine(1).call<ServiceInspect>("GET", `/services/${name}`);
}

export interface TaskView extends Task {
    readonly Spec: { ContainerSpec: { Image: string } };
}

/** The service's tasks that should be running. */
export async function runningTasks(cluster: Cluster, name: string): Promise<TaskView[]> {
    const filters = encodeURIComponent(
        JSON.stringify({ service: { [name]: true }, "desired-state": { running: true } }),
    );
    return cluster.engine(1).call<TaskView[]>("GET", `/tasks?filters=${filters}`);
}

/** Runs a command in the container of a running task, on the node it runs on. */
export function execInTask(cluster: Cluster, task: Task, cmd: readonly string[]): string {
    const node = cluster.nodeOf(task.NodeID ?? "");
    const container = task.Status.ContainerStatus?.ContainerID ?? "";
    return cluster.dockerOk(node, ["exec", container, ...cmd]);
}

export async function firstTask(cluster: Cluster, name: string): Promise<TaskView> {
    const tasks = (await runningTasks(cluster, name)).filter((t) => t.Status.State === "running");
    if (tasks.length === 0) {
        throw new Error(`${name} has no running task`);
    }
    return tasks[0];
}

export interface TrafficReport {
    readonly total: number;
    /** Requests that got no HTTP answer from the application (connection errors, timeouts, 502/504). */
    readonly failed: string[];
    /** Answer codes and how often. */
    readonly codes: Record<string, number>;
    /** Which releases answered. */
    readonly versions: string[];
}

/**
 * A client on the stack's overlay network (a container on the manager, like a proxy there): one
 * request every 50 ms to `url` with the site's Host header, each with a fresh name lookup (curl).
 */
export class Traffic {
    private readonly name: string;

    constructor(
        private readonly cluster: Cluster,
        label: string,
    ) {
        this.name = `${cluster.name}-traffic-${label}`;
    }

    start(opts: { network: string; image: string; url: string; host: string }): void {
        const loop =
            'trap "exit 0" TERM; while :; do ' +
            `r=$(curl -s -m 5 -o /dev/null -w '%{http_code} %header{x-standin-version}' -H 'Host: ${opts.host}' '${opts.url}'); ` +
            'echo "$EPOCHREALTIME $r"; sleep 0.05 & wait $!; done';
        this.cluster.dockerOk(1, [
            "run",
            "-d",
            "--name",
            this.name,
            "--network",
            opts.network,
            "--entrypoint",
            "bash",
            opts.image,
            "-c",
            loop,
        ]);
    }

    stop(): TrafficReport {
        this.cluster.docker(1, ["stop", "-t", "5", this.name]);
        const lines = this.cluster
            .dockerOk(1, ["logs", this.name])
            .split("\n")
            .filter((l) => l !== "");
        this.cluster.docker(1, ["rm", "-f", this.name]);
        const codes: Record<string, number> = {};
        const versions = new Set<string>();
        const failed: string[] = [];
        for (const l of lines) {
            const [, code, version] = l.split(" ");
            codes[code] = (codes[code] ?? 0) + 1;
            if (version !== undefined && version !== "") {
                versions.add(version);
            }
            // An answer from the application: 200, or 503 with its release header (maintenance mode).
            if (!(code === "200" || (code === "503" && version !== undefined && version !== ""))) {
                failed.push(l);
            }
        }
        return { total: lines.length, failed, codes, versions: [...versions].sort() };
    }
}
