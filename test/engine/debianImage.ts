import { spawnSync } from "child_process";
import * as path from "path";
import { docker, requireEngine, RUN_ID, TEST_LABEL } from "./engine";

/**
 * The tier's Debian image (test/engine/debian-image.sh): real MariaDB, PostgreSQL, restic, gpg, jq
 * and python3 from Debian, built with debootstrap and cached by content hash, so it is built once per
 * machine and script version (.ci/run builds it before the tests). Shared by the suites that need real
 * servers; never removed by them.
 */

export const DEBIAN_IMAGE_SCRIPT = path.join(__dirname, "debian-image.sh");

let built: string | undefined;

/**
 * The image reference, building it when missing. Skips the calling suite when the engine is missing
 * or the image cannot be built here (building needs root); under CI=true that fails instead.
 */
export function debianImage(ctx: Mocha.Context): string {
    requireEngine(ctx);
    if (built !== undefined) {
        return built;
    }
    const r = spawnSync("bash", [DEBIAN_IMAGE_SCRIPT], { encoding: "utf8", timeout: 900_000 });
    const lines = r.stdout.trim().split("\n");
    if (r.status === 0 && lines.length > 0) {
        built = lines[lines.length - 1];
        return built;
    }
    const why = `the Debian test image could not be built: ${r.error?.message ?? r.stderr.trim()}`;
    if (process.env.CI === "true") {
        throw new Error(`CI=true, so the real-engine tier must run, but ${why}`);
    }
    console.log(`      real-engine tier SKIPPED: ${why}`);
    ctx.skip();
}

/** The labels every object of this run carries (cleaned up by `removeRunObjects`). */
export const RUN_LABEL = ["--label", `${TEST_LABEL}=${RUN_ID}`];

function ids(args: readonly string[]): string[] {
    const r = docker(args);
    return r.status === 0 ? r.stdout.split("\n").filter((l) => l !== "") : [];
}

/** Removes this run's containers, volumes and networks (never the shared image); returns what failed. */
export function removeRunObjects(): string[] {
    const filter = `label=${TEST_LABEL}=${RUN_ID}`;
    const problems: string[] = [];
    const remove = (args: readonly string[]) => {
        const r = docker(args);
        if (r.status !== 0 && !/no such/i.test(r.stderr)) {
            problems.push(`docker ${args.join(" ")}: ${r.stderr.trim()}`);
        }
    };
    for (const id of ids(["ps", "-aq", "--filter", filter])) {
        remove(["rm", "-f", "-v", id]);
    }
    for (const id of ids(["volume", "ls", "-q", "--filter", filter])) {
        remove(["volume", "rm", "-f", id]);
    }
    for (const id of ids(["network", "ls", "-q", "--filter", filter])) {
        remove(["network", "rm", id]);
    }
    return problems;
}
