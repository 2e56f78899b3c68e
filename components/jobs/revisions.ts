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
 * jobs that call them: a change to them bumps those jobs' scripts (`site.sh`, `restore.sh`).
 */
export interface ScriptRevision {
    readonly revision: number;
    /** sha256 of the script's text at this revision, or at its last declared rewording. */
    readonly sha256: string;
}

/** The wrapper and the prelude, which run in every job. */
export type WrapperScript = Extract<ScriptFile, "run-job.sh" | "secret-prelude.sh">;

export const SCRIPT_REVISIONS: Readonly<Record<WrapperScript | JobScriptFile, ScriptRevision>> = {
    "run-job.sh": { revision: 1, sha256: "2e96ab9d54394f89a3c6795f45ade8b92af5fa0a45481f09a046c25a6d0c2b79" },
    "secret-prelude.sh": { revision: 1, sha256: "0605163a60d25a5ff347e9d12ab1355abd39633318b0c050c39e0fec68d61d36" },
    "configurator.sh": { revision: 1, sha256: "d698e7dc25e939b67884f8108818c0a2e780d3a3396aa9ffd551fce4be10669c" },
    "backup.sh": { revision: 2, sha256: "6daed53dbf5279737d55f946ba51fe7a03268cfb244019db67de3f4870171c6c" },
    "maintenance-on.sh": { revision: 1, sha256: "c2d2ccdd04420b9992f2321ba98ecbe33da91b90e6915fdfda2a13a80352e081" },
    "migrate.sh": { revision: 1, sha256: "604ac331c81431dac54a0279536bed68060a38c1f886b7200110bdb620513c05" },
    "clear-cache.sh": { revision: 1, sha256: "65280de5ea22e598a5922fc91b16923c3414fefc703ebf828fc6dc88314e1980" },
    "maintenance-off.sh": { revision: 1, sha256: "c7c54c633da1ba6cfe538ad5f8fa1b0b96e4293f49e7a716911d6de58f5f12e4" },
    "site.sh": { revision: 2, sha256: "1adc274321b425b30dd6986132c167aa4c490e57bfe3d6af670fcc6df4af8b2e" },
    "restore.sh": { revision: 3, sha256: "ee8bc6ae163503d863670fd8f0c62472d887a946d4fc36d9ce018fc7a4c0b5bb" },
    "drill-account.sh": { revision: 1, sha256: "f5a34792a8859d24b5f71fbe8cb02b481b119f7b3b1ee870e7d66da34e3d2d37" },
};

export type CoveredScript = Extract<ScriptFile, "health-gate.sh">;

/**
 * Scripts without a number of their own, pinned likewise: they run only inside the job of the script
 * named, whose number a change to what they do bumps. `health-gate.sh` runs in the job that reopens the
 * sites (run-job.sh runs it when GATE_ROLES is set).
 */
export const COVERED_SCRIPTS: Readonly<Record<CoveredScript, { coveredBy: JobScriptFile; sha256: string }>> = {
    "health-gate.sh": {
        coveredBy: "maintenance-off.sh",
        sha256: "aa046bd5925dcad7bf384542dba67fa7de629c31159f6e56536a24c7f433b555",
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

/** The revision a job's command carries: the wrapper's, the prelude's and its own script's. */
export function jobRevision(file: JobScriptFile): string {
    const r = SCRIPT_REVISIONS;
    return `${r["run-job.sh"].revision}.${r["secret-prelude.sh"].revision}.${r[file].revision}`;
}
