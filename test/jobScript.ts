import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { readScript, ScriptFile, scriptPath } from "../components/bench/scriptFiles";

/** A temporary bench directory with the stand-in `bench` on PATH and the stand-in env/bin/python. */
export interface TempBench {
    readonly dir: string;
    /** Where the job's secret files go (SECRETS_DIR). */
    readonly secrets: string;
    /** The stand-ins' record of every call, one line of arguments each (FAKE_BENCH_LOG). */
    readonly log: string;
    /** logs/bench.log, where the bench CLI writes its command lines. */
    readonly benchLog: string;
}

export const FAKE_BENCH_DIR = path.join(__dirname, "fakebench");

/** apps/<app> for each app, sites/, config/pids and logs/ (what bench's find_parent_bench looks for), env/bin/python. */
export function tempBench(apps: readonly string[] = ["frappe", "erpnext"]): TempBench {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-"));
    for (const sub of [...apps.map((a) => path.join("apps", a)), "sites", path.join("config", "pids"), "logs"]) {
        fs.mkdirSync(path.join(dir, sub), { recursive: true });
    }
    fs.writeFileSync(path.join(dir, "sites", "common_site_config.json"), "{}");
    fs.mkdirSync(path.join(dir, "env", "bin"), { recursive: true });
    fs.symlinkSync(path.join(FAKE_BENCH_DIR, "env-python"), path.join(dir, "env", "bin", "python"));
    const secrets = path.join(dir, "run-secrets");
    fs.mkdirSync(secrets);
    return { dir, secrets, log: path.join(dir, "bench.log"), benchLog: path.join(dir, "logs", "bench.log") };
}

/** A site directory with its site_config.json and an empty private/backups. */
export function addSite(dir: string, site: string, config: Record<string, unknown> = { db_name: "x" }): void {
    fs.mkdirSync(path.join(dir, "sites", site, "private", "backups"), { recursive: true });
    fs.writeFileSync(path.join(dir, "sites", site, "site_config.json"), JSON.stringify(config));
}

export interface ScriptRun {
    readonly status: number | null;
    readonly stdout: string;
    readonly stderr: string;
    /** The stand-ins' record: one line of arguments per bench or Frappe CLI call. */
    readonly calls: string[];
}

/**
 * Runs one job script in `b.dir` as its container does. With `secrets` (file name → value) it runs
 * secret-prelude.sh first and hands the secrets over on stdin, as run-job.sh and `docker run -i` do;
 * `wrap` puts a command in front of bash (strace, in the tests that watch every process).
 */
export function runJobScript(
    b: TempBench,
    file: ScriptFile,
    env: Record<string, string>,
    options: { secrets?: Record<string, string>; wrap?: string[] } = {},
): ScriptRun {
    const { secrets, wrap = [] } = options;
    const bash = secrets
        ? ["bash", "-c", `${readScript("secret-prelude.sh")}${readScript(file)}`]
        : ["bash", scriptPath(file)];
    const input = Object.entries(secrets ?? {})
        .map(([name, value]) => `${path.join(b.secrets, name)} ${Buffer.from(value).toString("base64")}\n`)
        .join("");
    const [cmd, ...args] = [...wrap, ...bash];
    const r = spawnSync(cmd, args, {
        cwd: b.dir,
        encoding: "utf8",
        input,
        env: {
            PATH: `${FAKE_BENCH_DIR}:${process.env.PATH ?? ""}`,
            SECRETS_DIR: b.secrets,
            FAKE_BENCH_LOG: b.log,
            ...env,
        },
    });
    const recorded = fs.existsSync(b.log) ? fs.readFileSync(b.log, "utf8").trim() : "";
    const calls = recorded === "" ? [] : recorded.split("\n");
    return { status: r.status, stdout: r.stdout, stderr: r.stderr, calls };
}
