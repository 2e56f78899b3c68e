import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { configuratorScript } from "../components/bench/scripts";
import { buildBenchModel } from "../components/bench/services";
import { parseStackConfig } from "../components/config/load";
import { REPO_ROOT } from "./harness";

function model(config: Record<string, unknown>) {
    const entries: Record<string, string> = {};
    for (const [k, v] of Object.entries(config)) {
        entries[`frappe:${k}`] = typeof v === "string" ? v : JSON.stringify(v);
    }
    for (const k of ["resticPassword", "s3AccessKeyId", "s3SecretAccessKey"]) {
        entries[`frappe:${k}`] = "x";
    }
    const r = parseStackConfig({ stack: "staging", entries, isSecret: () => true, projectRoot: REPO_ROOT });
    assert.ok(r.config, JSON.stringify(r.issues));
    return buildBenchModel(r.config);
}

function bashSyntax(script: string): string {
    const r = spawnSync("bash", ["-n"], { input: script, encoding: "utf8" });
    return r.status === 0 ? "" : r.stderr;
}

/** Every shell snippet the bench runs must at least parse; a typo here would only show on a live host. */
describe("generated shell scripts", () => {
    const configs: Record<string, unknown>[] = [
        { tag: "v15.88.1" },
        {
            tag: "v15.88.1",
            sites: [
                { name: "a.example.com", apps: ["erpnext", "hrms"] },
                { name: "b.example.com", apps: [] },
            ],
            db: { type: "postgres" },
            restore: { site: "a.example.com", backup: "20260101_120000", withFiles: true },
            backup: { withFiles: false, keepLast: 3 },
        },
        {
            tag: "v15.88.1",
            sites: [{ name: "a.example.com" }],
            restore: { site: "a.example.com", backup: "20260101_120000", withFiles: false },
            backup: { offsite: { repository: "s3:https://s3.example.com/b/erp" } },
        },
    ];
    configs.forEach((config, n) => {
        it(`parse with bash -n (config ${n + 1})`, () => {
            const m = model(config);
            let checked = 0;
            for (const p of m.processes) {
                if (p.kind === "job") {
                    assert.deepEqual(p.entrypoint, ["bash", "-c"]);
                    assert.equal(bashSyntax(p.command?.[0] ?? ""), "", `${p.key} script`);
                    checked++;
                } else {
                    if (p.healthcheck.tests[0] === "CMD-SHELL") {
                        assert.equal(bashSyntax(p.healthcheck.tests[1]), "", `${p.key} healthcheck`);
                        checked++;
                    }
                    for (const f of p.files.filter((x) => x.path.endsWith(".sh"))) {
                        assert.equal(bashSyntax(f.content), "", `${p.key} ${f.path}`);
                        checked++;
                    }
                }
            }
            assert.ok(checked >= 12, `checked ${checked}`);
        });
    });

    it("the backup scheduler compiles with python3", function () {
        if (spawnSync("python3", ["--version"]).status !== 0) {
            this.skip();
        }
        const cron = model({ tag: "v15.88.1" }).processes.find((p) => p.key === "backup-cron");
        const py = cron?.files.find((f) => f.path.endsWith(".py"));
        assert.ok(py);
        const r = spawnSync("python3", ["-c", "import ast,sys; ast.parse(sys.stdin.read())"], {
            input: py.content,
            encoding: "utf8",
        });
        assert.equal(r.status, 0, r.stderr);
    });

    it("the syntax check can fail", () => {
        assert.notEqual(bashSyntax("if [ -f x ]; then echo"), "");
    });
});

describe("configurator's Python edits of common_site_config.json", () => {
    function pythonLines(script: string): string[] {
        return script.split("\n").filter((l) => l.startsWith("env/bin/python -c "));
    }

    it("writes the Postgres root password and the URL-encoded Redis password from the secret files", function () {
        if (spawnSync("python3", ["--version"]).status !== 0) {
            this.skip();
        }
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-"));
        fs.mkdirSync(path.join(dir, "sites"));
        fs.mkdirSync(path.join(dir, "run"));
        const config = path.join(dir, "sites", "common_site_config.json");
        fs.writeFileSync(
            config,
            JSON.stringify({
                redis_cache: "redis://c:6379",
                redis_queue: "redis://q:6379",
                redis_socketio: "redis://q:6379",
            }),
        );
        // As the job's prelude writes them: the exact bytes, no trailing newline.
        fs.writeFileSync(path.join(dir, "run", "db-root-password"), " pg pass");
        fs.writeFileSync(path.join(dir, "run", "redis-password"), "p@ss/w:rd");
        const lines = pythonLines(configuratorScript({ postgres: true, redisPassword: true }));
        assert.equal(lines.length, 2);
        for (const line of lines) {
            const cmd = line
                .replace(/^env\/bin\/python /, "python3 ")
                .replace(/\/run\/secrets\//g, `${path.join(dir, "run")}/`);
            const r = spawnSync("sh", ["-c", cmd], {
                cwd: dir,
                encoding: "utf8",
                env: { ...process.env, REDIS_CACHE: "c:6379", REDIS_QUEUE: "q:6379" },
            });
            assert.equal(r.status, 0, r.stderr);
        }
        const written = JSON.parse(fs.readFileSync(config, "utf8")) as Record<string, string>;
        assert.equal(written.root_password, " pg pass", "kept byte for byte");
        assert.equal(written.redis_cache, "redis://:p%40ss%2Fw%3Ard@c:6379");
        assert.equal(written.redis_queue, "redis://:p%40ss%2Fw%3Ard@q:6379");
        assert.equal(written.redis_socketio, "redis://:p%40ss%2Fw%3Ard@q:6379");
    });
});
