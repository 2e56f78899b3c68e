import { JobScriptFile, ScriptFile } from "../bench/scriptFiles";

/**
 * A job runs again when its revision changes, and not when its script's text does: bump a script's
 * number when what it does changes, leave it for a reworded message or a reformatted line. Each number
 * sits next to the sha256 of the script's text, which components/jobs/revisions.test.ts checks: a
 * changed script fails that test until its author bumps the number (and pins the new text) or pins
 * the new text alone, declaring a rewording.
 *
 * `run-job.sh` and `secret-prelude.sh` run in every job: their number is part of every job's revision.
 * The functions `secret-prelude.sh` defines (`frappe_cli`, `scrub_bench_log`) do something only in the
 * jobs that call them: a change to them bumps those jobs' scripts (`sites.sh`, `restore.sh`). A job's
 * helpers (script files its script runs, `JobSpec.helpers`) are part of its revision.
 */
export interface ScriptRevision {
    readonly revision: number;
    /** sha256 of the script's text at this revision, or at its last declared rewording. */
    readonly sha256: string;
}

/** The wrapper and the prelude, which run in every job. */
export type WrapperScript = Extract<ScriptFile, "run-job.sh" | "secret-prelude.sh">;

export const SCRIPT_REVISIONS: Readonly<Record<WrapperScript | JobScriptFile, ScriptRevision>> = {
    // 2: the container is created, connected to its other networks (FRAPPE_JOB_NETWORKS), then started.
    "run-job.sh": { revision: 2, sha256: "7f9d08ab8f6ec706b72aceeadefb9a59b831cb6ccd144436b82aa144d7019715" },
    "secret-prelude.sh": { revision: 1, sha256: "0605163a60d25a5ff347e9d12ab1355abd39633318b0c050c39e0fec68d61d36" },
    "configurator.sh": { revision: 1, sha256: "d698e7dc25e939b67884f8108818c0a2e780d3a3396aa9ffd551fce4be10669c" },
    "backup.sh": { revision: 2, sha256: "51538ef7ee50407530bb8fa5c82398c6e42ec2ce70a7fc3a18f077ce63d64e33" },
    "maintenance-on.sh": { revision: 2, sha256: "28cafa08a299a1486d057a1af7e987a73aa5b3a7980c698fe4d3d667ee581403" },
    "migrate.sh": { revision: 1, sha256: "604ac331c81431dac54a0279536bed68060a38c1f886b7200110bdb620513c05" },
    "clear-cache.sh": { revision: 1, sha256: "65280de5ea22e598a5922fc91b16923c3414fefc703ebf828fc6dc88314e1980" },
    "maintenance-off.sh": { revision: 2, sha256: "e5a7ee415dbca6688123893991e482e37b899eaf99d8054cacf23eb800a8cc71" },
    "restore.sh": { revision: 4, sha256: "2fc6051278016d53a989747435587ae738bb92fd460132b6c52cff1b6535de0b" },
    "sites.sh": { revision: 2, sha256: "ef08f9934162f0203536904a1bbcdde21bc29507656e58256a94c208d2fa4460" },
    "db-upgrade.sh": { revision: 1, sha256: "54aa119ddafc0e4eaec76a3b5d303c2e7b7f7b2fd26cdae2e35e8c119cb5cd22" },
    "drill-account.sh": { revision: 1, sha256: "f5a34792a8859d24b5f71fbe8cb02b481b119f7b3b1ee870e7d66da34e3d2d37" },
    "swarm-preflight.sh": { revision: 1, sha256: "dcbe751109f54b75a07d7bab5e74d6f13e31989da0c0da58324bdbc55903581e" },
};

export type CoveredScript = Extract<ScriptFile, "health-gate.sh" | "swarm-gate.sh" | "db-guard.sh">;

/**
 * Scripts without a number of their own, pinned likewise: they run only inside the job of the script
 * named, whose number a change to what they do bumps. The gates (`health-gate.sh` on one Docker host,
 * `swarm-gate.sh` on Swarm) run in the job that reopens the sites (run-job.sh runs one when GATE_ROLES is
 * set), `db-guard.sh` in the job that guards a database server change (when DBGUARD_ENGINE is set).
 */
export const COVERED_SCRIPTS: Readonly<Record<CoveredScript, { coveredBy: JobScriptFile; sha256: string }>> = {
    "health-gate.sh": {
        coveredBy: "maintenance-off.sh",
        sha256: "aa046bd5925dcad7bf384542dba67fa7de629c31159f6e56536a24c7f433b555",
    },
    "db-guard.sh": {
        coveredBy: "db-upgrade.sh",
        sha256: "d4f5e84deeb48c73dccc9d43ef136fb5713cfddc6f4a461861270570785183fe",
    },
    "swarm-gate.sh": {
        coveredBy: "maintenance-off.sh",
        sha256: "9da08326e84df55fcda89512d612b52d4e6a716a4f526d9c85346e0aabd480c7",
    },
};

/**
 * Scripts no job runs: their text is itself an input of what runs them (the adopted-volumes check's
 * command, the files uploaded into backup-cron), so a change reaches them without a revision.
 */
export const UNREVISED_SCRIPTS: readonly ScriptFile[] = [
    "adopted-volumes.sh",
    "backup-cron-run.sh",
    "backup-scheduler.py",
    "drill.sh",
    "proxy-start.sh",
];

/** The revision a job's command carries: the wrapper's, the prelude's, its own script's and its helpers'. */
export function jobRevision(file: JobScriptFile, helpers: readonly JobScriptFile[] = []): string {
    const r = SCRIPT_REVISIONS;
    const own = `${r["run-job.sh"].revision}.${r["secret-prelude.sh"].revision}.${r[file].revision}`;
    return helpers.length === 0 ? own : `${own}+${helpers.map((h) => `${h}:${r[h].revision}`).join(",")}`;
}
