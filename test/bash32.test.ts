import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { JOB_CREATE } from "../components/jobs/jobRun";
import { SCRIPTS_DIR } from "../components/bench/scriptFiles";
import { bash32Findings, BASH4_RULES, GNU_ONLY_RULES, stripComment } from "./bash32";
import { REPO_ROOT } from "./harness";

/** TypeScript files of the program (not tests), for finding what runs as a local command. */
function programSources(dir: string): string[] {
    return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
        const full = path.join(dir, e.name);
        if (e.isDirectory()) return programSources(full);
        return e.name.endsWith(".ts") && !e.name.endsWith(".test.ts") ? [full] : [];
    });
}

/**
 * Every shell program that runs on the operator's machine (where `pulumi` or `npm run` runs, macOS
 * included), found rather than listed: the scripts of scripts/; the job wrapper the jobs' local command
 * runs (JOB_CREATE) and what that wrapper runs itself (`sh|bash "$here/<file>"`); every script a file of
 * the program reads into a `command.local.Command` of its own.
 */
export function operatorScripts(): string[] {
    const found = new Set<string>();
    for (const f of fs.readdirSync(path.join(REPO_ROOT, "scripts"))) {
        if (f.endsWith(".sh")) found.add(path.join(REPO_ROOT, "scripts", f));
    }
    const wrapper = /^(?:ba)?sh (\S+\.sh)$/.exec(JOB_CREATE);
    assert.ok(wrapper, `JOB_CREATE runs one shell file: ${JOB_CREATE}`);
    const wrapperPath = path.join(REPO_ROOT, wrapper[1]);
    found.add(wrapperPath);
    for (const m of fs.readFileSync(wrapperPath, "utf8").matchAll(/(?:^|\s)(?:ba)?sh "\$here\/([\w.-]+)"/gm)) {
        found.add(path.join(path.dirname(wrapperPath), m[1]));
    }
    for (const file of programSources(path.join(REPO_ROOT, "components"))) {
        const text = fs.readFileSync(file, "utf8");
        if (!text.includes("command.local.Command")) continue;
        for (const m of text.matchAll(/readScript\("([\w.-]+\.sh)"\)/g)) found.add(path.join(SCRIPTS_DIR, m[1]));
    }
    return [...found].sort();
}

describe("bash 3.2 (macOS): the static check of shell constructs", () => {
    const rejected: Record<string, string> = {
        'mapfile -t lines <<< "$x"': "mapfile",
        "readarray -t lines < f": "mapfile/readarray",
        "declare -A seen": "associative",
        "local -A map=()": "associative",
        "declare -n ref=other": "nameref",
        "declare -g total": "global",
        "declare -l lower": "case attribute",
        'echo "${name,,}"': "case modification",
        'echo "${name^^}"': "case modification",
        'echo "${name^}"': "case modification",
        'printf %s "${value@Q}"': "transformation",
        "  a) echo a ;&": "fall-through",
        "  b) echo b ;;&": "fall-through",
        "make |& tee log": "|&",
        "echo x &>> log": "&>>",
        "coproc worker { cat; }": "coproc",
        "shopt -s globstar": "shell option",
        "shopt -s nullglob lastpipe": "shell option",
        'echo "${args[-1]}"': "negative array subscript",
        "args[-1]=x": "negative array subscript",
        "if [[ -v FOO ]]; then :; fi": "-v test",
        "[ -v FOO ] && echo set": "-v test",
        "printf -v 'out[1]' %s x": "printf -v",
        "printf -v out[1] %s x": "printf -v",
        "for i in {1..10..2}; do :; done": "step",
        "for i in {01..10}; do :; done": "zero-padded",
        'echo "${name:0:-1}"': "negative substring",
        "exec {fd}>lockfile": "named file descriptor",
        "wait -n": "wait -n",
        "local -": "local -",
        'echo "$BASHPID $EPOCHSECONDS"': "bash 4/5 variable",
        "printf '%(%F)T' -1": "time format",
        "source <(cat env)": "source <(",
        "dir=$(readlink -f .)": "readlink -f",
        "sed -i 's/a/b/' f": "sed -i",
        "date -d yesterday": "date -d",
        "grep -P '\\d' f": "grep -P",
        "stat -c %s f": "stat -c",
        "xargs -r rm": "xargs -r",
        "timeout 5 cmd": "timeout",
    };
    const accepted = [
        'run_args+=("$arg")',
        'while IFS= read -r arg; do :; done <<< "$x"',
        'echo "${#run_args[@]} ${run_args[@]} ${!prefix@} ${var:-default} ${var: -1} ${var:1:2} ${var%.}"',
        'case "$x" in a) echo a ;; esac',
        "cmd > log 2>&1; other &> log",
        "local -a items; local -r fixed=1; declare -x EXPORTED; declare -i n",
        "printf -v out %s x",
        "for i in {1..10}; do :; done",
        "[[ $x =~ ^[0-9]+$ ]] && echo n",
        "# mapfile in a comment, and declare -A too",
        "echo ok # trailing comment with |& and ${x,,}",
        "sed -n 's/^# Job: //p' f | head -n 1; date +%s; grep -qx name",
        'echo "#not a comment: mapfile"',
        'timeout=${GATE_TIMEOUT:-300}; [ "$timeout" -gt 0 ]',
        "sed -i.bak 's/a/b/' f",
    ];

    it("rejects each bash-4-only construct (and GNU-only tool option), naming it", () => {
        for (const [line, construct] of Object.entries(rejected)) {
            const findings = bash32Findings(line);
            assert.ok(
                findings.some((f) => f.construct.includes(construct)),
                `${line}: expected "${construct}", got ${JSON.stringify(findings)}`,
            );
        }
    });

    it("accepts what bash 3.2 has (+=, here-strings, ${#a[@]}, ${v: -1}, &>, [[ =~ ]], comments)", () => {
        for (const line of accepted) {
            assert.deepEqual(bash32Findings(line), [], line);
        }
        assert.equal(stripComment('echo "a # b" # c'), 'echo "a # b" ');
        // Every rule is exercised by a sample above.
        for (const rule of [...BASH4_RULES, ...GNU_ONLY_RULES]) {
            assert.ok(
                Object.keys(rejected).some((line) => rule.pattern.test(line)),
                rule.construct,
            );
        }
    });
});

describe("bash 3.2 (macOS): the scripts that run on the operator's machine", () => {
    const scripts = operatorScripts();

    it("are found: scripts/, the job wrapper, the health gate it runs, and the adopted-volumes check", () => {
        const names = scripts.map((s) => path.relative(REPO_ROOT, s));
        for (const expected of [
            "scripts/local.sh",
            "run-job.sh",
            "health-gate.sh",
            "swarm-gate.sh",
            "adopted-volumes.sh",
        ]) {
            assert.ok(
                names.some((n) => n.endsWith(expected)),
                `${expected} in ${names.join(", ")}`,
            );
        }
        for (const s of scripts) assert.ok(fs.existsSync(s), s);
    });

    it("use no bash-4-only construct and no GNU-only tool option", () => {
        const findings = scripts.flatMap((s) =>
            bash32Findings(fs.readFileSync(s, "utf8")).map(
                (f) => `${path.relative(REPO_ROOT, s)}:${f.line}: ${f.construct}: ${f.text}`,
            ),
        );
        assert.deepEqual(findings, []);
    });

    it("run-job.sh runs a job with bash's bash-4 builtins (mapfile, readarray) switched off", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bash32-"));
        const bashEnv = path.join(dir, "no-bash4.sh");
        // BASH_ENV is read by every non-interactive bash before its script: the wrapper then runs without them.
        fs.writeFileSync(bashEnv, "enable -n mapfile readarray\n");
        // stdin not a socket: bash takes a socket on stdin for a remote shell and reads ~/.bashrc instead of BASH_ENV.
        const r = spawnSync("/bin/sh", ["-c", JOB_CREATE], {
            cwd: REPO_ROOT,
            encoding: "utf8",
            stdio: ["ignore", "pipe", "pipe"],
            env: {
                PATH: `${path.join(__dirname, "fakebin")}:${process.env.PATH ?? ""}`,
                BASH_ENV: bashEnv,
                FRAPPE_JOB_KEY: "clear-cache",
                FRAPPE_JOB_NAME: "frappe-t-clear-cache",
                FRAPPE_JOB_SCRIPT: "clear-cache.sh",
                FRAPPE_JOB_RUN_ARGS: ["-i", "--name", "frappe-t-clear-cache", "--entrypoint", "bash", "img", "-c"].join(
                    "\n",
                ),
                FRAPPE_JOB_PRELUDE: "0",
                FAKE_DOCKER_ARGV: path.join(dir, "argv"),
            },
        });
        assert.equal(r.status, 0, r.stderr);
        assert.match(r.stdout, /^frappe-job-run: /m);
        const argv = fs.readFileSync(path.join(dir, "argv"), "utf8").split("\0");
        assert.deepEqual(argv.slice(0, 7), [
            "-i",
            "--name",
            "frappe-t-clear-cache",
            "--entrypoint",
            "bash",
            "img",
            "-c",
        ]);
        // The same switch makes a bash-4 builtin fail, so the run above proves the wrapper does without them.
        const control = spawnSync("bash", ["-c", "mapfile -t x <<< a"], {
            env: { PATH: process.env.PATH ?? "", BASH_ENV: bashEnv },
            encoding: "utf8",
            stdio: ["ignore", "pipe", "pipe"],
        });
        assert.equal(control.status, 127, control.stderr);
        assert.match(control.stderr, /mapfile: command not found/);
    });

    it("the sh scripts run under bash --posix (what macOS's /bin/sh is)", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "posix-"));
        const table = path.join(dir, "containers");
        fs.writeFileSync(table, "frappe-t-backend t backend running healthy\n");
        const env = {
            PATH: `${path.join(__dirname, "fakebin")}:${process.env.PATH ?? ""}`,
            FAKE_DOCKER_CONTAINERS: table,
        };
        const gate = spawnSync("bash", ["--posix", path.join(SCRIPTS_DIR, "health-gate.sh")], {
            encoding: "utf8",
            env: { ...env, GATE_STACK: "t", GATE_ROLES: "backend", GATE_EXPECT: "frappe-t-backend", GATE_POLL: "0" },
        });
        assert.equal(gate.status, 0, gate.stderr);
        assert.match(gate.stdout, /health gate: healthy: frappe-t-backend/);
        const check = spawnSync("bash", ["--posix", path.join(SCRIPTS_DIR, "adopted-volumes.sh"), "erpnext_sites"], {
            encoding: "utf8",
            env,
        });
        assert.equal(check.status, 0, check.stderr);
        assert.match(check.stdout, /found erpnext_sites/);
        const local = spawnSync("bash", ["--posix", path.join(REPO_ROOT, "scripts", "local.sh"), "env"], {
            encoding: "utf8",
            env: { PATH: process.env.PATH ?? "", FRAPPE_LOCAL_DIR: path.join(dir, "backend") },
        });
        assert.equal(local.status, 0, local.stderr);
        assert.match(local.stdout, /^export PULUMI_BACKEND_URL='file:\/\//);
    });
});
