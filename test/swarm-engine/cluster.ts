import { spawnSync, SpawnSyncReturns } from "child_process";
import { randomBytes } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Engine } from "./engineApi";

/**
 * The real-Swarm tier's cluster (cluster.sh): three dockerd engines in their own namespaces joined as
 * one swarm, node 1 the manager. Everything the tier makes lives in those engines, which are removed
 * with the cluster; the machine's own Docker engine is never used.
 */

const SCRIPT = path.join(__dirname, "cluster.sh");
export const NODES = 3;

export function run(cmd: string, args: readonly string[], env: NodeJS.ProcessEnv = {}, input?: Buffer | string) {
    return spawnSync(cmd, args, {
        env: { ...process.env, ...env },
        input,
        encoding: "utf8",
        maxBuffer: 256 * 1024 * 1024,
        timeout: 300_000,
    });
}

function ok(r: SpawnSyncReturns<string>, what: string): string {
    if (r.error !== undefined || r.status !== 0) {
        throw new Error(`${what} failed: ${r.error?.message ?? ""}${r.stderr.trim()}`);
    }
    return r.stdout.trim();
}

/** Why this machine cannot run the tier, or undefined when it can. */
export function whyNoSwarm(): string | undefined {
    const r = run("bash", [SCRIPT, "check"]);
    if (r.status !== 0) {
        return r.stdout.trim() || r.stderr.trim() || "cluster.sh check failed";
    }
    for (const tool of ["busybox", "curl", "jq", "getent", "setpriv", "flock"]) {
        if (run("sh", ["-c", `command -v ${tool}`]).status !== 0) {
            return `${tool} is missing (the stand-in images copy it); run: sudo bash .ci/swarm.sh`;
        }
    }
    return undefined;
}

/** Skips the suite with the reason where the machine cannot run it; under CI=true that fails instead. */
export function requireSwarm(ctx: Mocha.Context): void {
    const why = whyNoSwarm();
    if (why === undefined) {
        return;
    }
    if (process.env.CI === "true") {
        throw new Error(`CI=true, so the real-Swarm tier must run, but ${why}`);
    }
    console.log(`      real-Swarm tier SKIPPED: ${why}`);
    ctx.skip();
}

export class Cluster {
    /** Short, so that the engines' sockets under it stay within the 108 bytes of a socket path. */
    readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), "fsw-"));
    /** Prefix of the namespaces and node hostnames (`<name>-n1`). */
    readonly name = `fsw${randomBytes(3).toString("hex")}`;
    private started = false;

    constructor() {
        fs.rmdirSync(this.dir);
    }

    start(): void {
        this.started = true;
        ok(run("bash", [SCRIPT, "start", this.dir, this.name]), "cluster.sh start");
    }

    stop(): void {
        if (this.started) {
            ok(run("bash", [SCRIPT, "stop", this.dir]), "cluster.sh stop");
        }
    }

    socket(node: number): string {
        return path.join(this.dir, `n${node}`, "docker.sock");
    }

    host(node: number): string {
        return `unix://${this.socket(node)}`;
    }

    engine(node = 1): Engine {
        return new Engine(this.socket(node));
    }

    hostname(node: number): string {
        return `${this.name}-n${node}`;
    }

    /** The Docker CLI against one node. */
    docker(node: number, args: readonly string[], input?: Buffer | string): SpawnSyncReturns<string> {
        return run("docker", args, { DOCKER_HOST: this.host(node) }, input);
    }

    dockerOk(node: number, args: readonly string[], input?: Buffer | string): string {
        return ok(this.docker(node, args, input), `docker ${args.join(" ")} on node ${node}`);
    }

    /** Node number of a swarm node ID (by its hostname). */
    nodeOf(nodeId: string): number {
        const hostname = this.dockerOk(1, ["node", "inspect", "-f", "{{.Description.Hostname}}", nodeId]);
        return Number(hostname.slice(`${this.name}-n`.length));
    }

    /** A command in node N's network namespace (as a process on that machine would run it). */
    inNode(node: number, args: readonly string[]): SpawnSyncReturns<string> {
        return run("ip", ["netns", "exec", `${this.name}-n${node}`, ...args]);
    }
}
