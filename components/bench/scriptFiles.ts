import * as fs from "fs";
import * as path from "path";

/**
 * The bench's shell and Python programs are files in `components/bench/scripts/` (checked by
 * shellcheck and run by the tests), never text inside TypeScript. Parameters reach them as
 * environment variables or arguments; nothing is spliced into their text.
 */

/** Where the script files are on this machine. */
export const SCRIPTS_DIR = path.join(__dirname, "scripts");

/**
 * The same directory relative to the Pulumi project root (where Pulumi.yaml is): the command provider
 * runs a job's `create` there, so the jobs name their wrapper by this path (an absolute one would
 * differ between checkouts and re-run every job when another machine deploys).
 */
export const SCRIPTS_DIR_FROM_PROJECT = "components/bench/scripts";

/** Every script file, so a typo in a name fails at once and the tests can check each one. */
export const SCRIPT_FILES = [
    "adopted-volumes.sh",
    "backup-cron-run.sh",
    "backup-scheduler.py",
    "backup.sh",
    "clear-cache.sh",
    "configurator.sh",
    "db-guard.sh",
    "db-upgrade.sh",
    "drill-account.sh",
    "drill.sh",
    "health-gate.sh",
    "maintenance-off.sh",
    "maintenance-on.sh",
    "migrate.sh",
    "proxy-start.sh",
    "restore.sh",
    "run-job.sh",
    "secret-prelude.sh",
    "sites.sh",
    "swarm-gate.sh",
    "swarm-preflight.sh",
] as const;

export type ScriptFile = (typeof SCRIPT_FILES)[number];

/** The scripts a run-once job runs (its `script`); each has a revision in components/jobs/revisions.ts. */
export type JobScriptFile = Extract<
    ScriptFile,
    | "configurator.sh"
    | "backup.sh"
    | "maintenance-on.sh"
    | "migrate.sh"
    | "clear-cache.sh"
    | "maintenance-off.sh"
    | "sites.sh"
    | "restore.sh"
    | "drill-account.sh"
    | "db-upgrade.sh"
    | "swarm-preflight.sh"
>;

export function scriptPath(name: ScriptFile): string {
    return path.join(SCRIPTS_DIR, name);
}

/** A script's text, for files uploaded into containers. */
export function readScript(name: ScriptFile): string {
    return fs.readFileSync(scriptPath(name), "utf8");
}
