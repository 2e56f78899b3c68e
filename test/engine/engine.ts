import { spawnSync, SpawnSyncReturns } from "child_process";
import * as fs from "fs";
import { randomBytes } from "crypto";

/**
 * The real-engine tier: what it needs from the machine, how it skips, and the Docker CLI calls its
 * tests make themselves. Every object the tier creates carries TEST_LABEL=<run id> (or, for the
 * containers the program's job runner starts, the stack label of a stack name unique to the run),
 * so `cleanUp` finds them all and two runs on one host never collide.
 */

export const TEST_LABEL = "frappe-pulumi.engine-test";

/** Unique per test run: part of the stack name, so of every Docker name the runner derives from it. */
export const RUN_ID = `${Date.now().toString(36)}${randomBytes(3).toString("hex")}`;

/** Where the test image's two static binaries come from (Debian's busybox-static and bash-static). */
export const BUSYBOX_CANDIDATES = ["/bin/busybox", "/usr/bin/busybox"];
export const BASH_STATIC_CANDIDATES = ["/usr/bin/bash-static", "/bin/bash-static"];

export function firstExisting(paths: readonly string[]): string | undefined {
    return paths.find((p) => fs.existsSync(p));
}

/** Runs the Docker CLI; never throws (the result says what happened). */
export function docker(args: readonly string[], input?: string): SpawnSyncReturns<string> {
    return spawnSync("docker", args, { input, encoding: "utf8", timeout: 120_000 });
}

/** Runs the Docker CLI and returns its trimmed stdout; throws with Docker's own message on failure. */
export function dockerOk(args: readonly string[], input?: string): string {
    const r = docker(args, input);
    if (r.error !== undefined || r.status !== 0) {
        throw new Error(`docker ${args.join(" ")} failed: ${r.error?.message ?? r.stderr.trim()}`);
    }
    return r.stdout.trim();
}

/** Why this machine cannot run the tier, or undefined when it can. */
export function whyNoEngine(): string | undefined {
    const info = docker(["info", "--format", "{{.ServerVersion}}"]);
    if (info.error !== undefined) {
        return `the docker CLI cannot be run (${info.error.message}); install docker.io or run: sudo bash .ci/engine.sh`;
    }
    if (info.status !== 0) {
        return `no Docker engine answers (${info.stderr.trim()}); start dockerd or run: sudo bash .ci/engine.sh`;
    }
    if (firstExisting(BUSYBOX_CANDIDATES) === undefined || firstExisting(BASH_STATIC_CANDIDATES) === undefined) {
        return "the test image needs static busybox and bash: apt-get install busybox-static bash-static";
    }
    return undefined;
}

/**
 * Skips the calling suite with the reason when the machine has no usable engine; under CI=true the
 * tier must run, so it fails instead.
 */
export function requireEngine(ctx: Mocha.Context): void {
    const why = whyNoEngine();
    if (why === undefined) {
        return;
    }
    if (process.env.CI === "true") {
        throw new Error(`CI=true, so the real-engine tier must run, but ${why}`);
    }
    console.log(`      real-engine tier SKIPPED: ${why}`);
    ctx.skip();
}

function listIds(args: readonly string[]): string[] {
    const r = docker(args);
    return r.status === 0 ? r.stdout.split("\n").filter((l) => l !== "") : [];
}

/** Removes every container, volume, network and image of this run; returns what could not be removed. */
export function cleanUp(stack: string, image: string): string[] {
    const problems: string[] = [];
    const remove = (args: readonly string[]) => {
        const r = docker(args);
        if (r.status !== 0 && !/no such/i.test(r.stderr)) {
            problems.push(`docker ${args.join(" ")}: ${r.stderr.trim()}`);
        }
    };
    const byLabel = [`label=${TEST_LABEL}=${RUN_ID}`, `label=frappe.stack=${stack}`];
    const containers = new Set(byLabel.flatMap((f) => listIds(["ps", "-aq", "--filter", f])));
    for (const id of containers) {
        remove(["rm", "-f", "-v", id]);
    }
    for (const id of listIds(["volume", "ls", "-q", "--filter", byLabel[0]])) {
        remove(["volume", "rm", "-f", id]);
    }
    for (const id of listIds(["network", "ls", "-q", "--filter", byLabel[0]])) {
        remove(["network", "rm", id]);
    }
    remove(["image", "rm", "-f", image]);
    return problems;
}
