import { ScriptFile } from "../bench/scriptFiles";

/**
 * A job runs again when its revision changes, and not when its script's text does: bump a script's
 * number when what it does changes (test/jobScripts.test.ts pins each file's content to remind you),
 * leave it for a reworded message or a reformatted line. `run-job.sh` and `secret-prelude.sh` run
 * in every job: their number is part of every job's revision. `health-gate.sh` runs only in the job
 * that reopens the sites (run-job.sh runs it when GATE_ROLES is set): a change to what it does bumps
 * `maintenance-off.sh`. Likewise the functions `secret-prelude.sh` defines (`frappe_cli`,
 * `scrub_bench_log`) do something only in the jobs that call them: a change to them bumps those jobs'
 * scripts (`site.sh`, `restore.sh`).
 */
export const SCRIPT_REVISIONS: Readonly<Partial<Record<ScriptFile, number>>> = {
    "run-job.sh": 1,
    "secret-prelude.sh": 1,
    "configurator.sh": 1,
    "backup.sh": 1,
    "maintenance-on.sh": 1,
    "migrate.sh": 1,
    "clear-cache.sh": 1,
    "maintenance-off.sh": 1,
    "site.sh": 2,
    "restore.sh": 2,
};

/** The revision a job's command carries: the wrapper's, the prelude's and its own script's. */
export function jobRevision(file: ScriptFile): string {
    const rev = (f: ScriptFile) => {
        const n = SCRIPT_REVISIONS[f];
        if (n === undefined) {
            throw new Error(`${f} has no entry in SCRIPT_REVISIONS (components/jobs/revisions.ts)`);
        }
        return n;
    };
    return `${rev("run-job.sh")}.${rev("secret-prelude.sh")}.${rev(file)}`;
}
