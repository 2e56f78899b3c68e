import { strict as assert } from "node:assert";
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { AppEntry, appNameOf } from "../../components/config/appsJson";
import { planImageBuild } from "../../components/image/buildPlan";

/**
 * Runs images/build-bench.py for real (Python, git) against local repositories served under an
 * https:// name through git's `insteadOf`, with a stand-in `bench` that clones, installs and builds
 * the way bench does (git clone --branch --depth 1 --origin upstream into apps/<repo>), then names
 * the app the way bench does: frappe/bench v5.22.3, bench/utils/app.py `get_app_name`, called by
 * `App.install` (bench/app.py), reads the name from pyproject.toml `[project] name`, else setup.cfg
 * `[metadata] name`, else the first `name = "..."` of setup.py (failing when there is no setup.py),
 * and renames `apps/<repo>` to `apps/<name>` when they differ; apps.txt and sites/apps.json then
 * record that name (`install_app(app=app_name)`).
 */

const SCRIPT = path.resolve(__dirname, "..", "..", "images", "build-bench.py");
const HOST = "git.example.test";
const TOKEN = "ghp_TOPSECRET/value";

const FAKE_BENCH = String.raw`#!/usr/bin/env python3
import json, os, re, subprocess, sys
from urllib.parse import urlsplit

args = sys.argv[1:]
with open(os.environ["FAKE_BENCH_LOG"], "a") as log:
    log.write(json.dumps({"argv": args, "cwd": os.getcwd(),
                          "credentials_env": "FRAPPE_BUILD_GIT_CREDENTIALS" in os.environ}) + "\n")

def git(*a, cwd=None):
    subprocess.run(["git", *a], cwd=cwd, check=True)

def head(d):
    return subprocess.run(["git", "rev-parse", "HEAD"], cwd=d, check=True, capture_output=True, text=True).stdout.strip()

def opt(name):
    return args[args.index(name) + 1]

def app_name(folder):
    path = os.path.join("apps", folder)
    name = None
    if os.path.exists(os.path.join(path, "pyproject.toml")):
        import tomllib
        with open(os.path.join(path, "pyproject.toml"), "rb") as f:
            name = tomllib.load(f).get("project", {}).get("name")
    if not name and os.path.exists(os.path.join(path, "setup.cfg")):
        import configparser
        cfg = configparser.ConfigParser()
        cfg.read(os.path.join(path, "setup.cfg"))
        name = cfg.get("metadata", "name", fallback=None)
    if not name:
        with open(os.path.join(path, "setup.py"), "rb") as f:
            name = re.search(r'name\s*=\s*[\'"](.*)[\'"]', f.read().decode("utf-8"))[1]
    if name and name != folder:
        os.rename(path, os.path.join("apps", name))
        return name
    return folder

if args[0] == "init":
    bench = args[-1]
    os.makedirs(os.path.join(bench, "sites"))
    os.makedirs(os.path.join(bench, "apps"))
    git("clone", opt("--frappe-path"), "--branch", opt("--frappe-branch"), "--depth", "1", "--origin", "upstream",
        os.path.join(bench, "apps", "frappe"))
    with open(os.path.join(bench, "sites", "apps.txt"), "w") as f:
        f.write("frappe\n")
    with open(os.path.join(bench, "sites", "common_site_config.json"), "w") as f:
        json.dump({"socketio_port": 9000}, f)
    with open(os.path.join(bench, "sites", "apps.json"), "w") as f:
        json.dump({"frappe": {"resolution": {"commit_hash": head(os.path.join(bench, "apps", "frappe")),
                                             "branch": opt("--frappe-branch")}}}, f)
elif args[0] == "get-app":
    url = args[-1]
    if "@" in urlsplit(url).netloc:
        sys.exit("fake bench: credentials reached the command line")
    repo = url.rstrip("/").split("/")[-1].removesuffix(".git")
    git("clone", url, "--branch", opt("--branch"), "--depth", "1", "--origin", "upstream", os.path.join("apps", repo))
    name = app_name(repo)
    parts = urlsplit(url)
    fill = subprocess.run(["git", "credential", "fill"], input=f"protocol={parts.scheme}\nhost={parts.netloc}\n\n",
                          capture_output=True, text=True)
    answer = dict(l.split("=", 1) for l in fill.stdout.splitlines() if "=" in l) if fill.returncode == 0 else {}
    with open(os.environ["FAKE_BENCH_LOG"], "a") as log:
        log.write(json.dumps({"credential_for": name, "username": answer.get("username"),
                              "password": answer.get("password")}) + "\n")
    if os.environ.get("FAKE_BENCH_LEAK") == name and answer.get("password"):
        with open(os.path.join("apps", name, "leak.txt"), "w") as f:
            f.write("remote = https://x:" + answer["password"] + "@host\n")
    with open(os.path.join("sites", "apps.txt"), "a") as f:
        f.write(name + "\n")
    states = json.load(open(os.path.join("sites", "apps.json")))
    states[name] = {"resolution": {"commit_hash": head(os.path.join("apps", name)), "branch": opt("--branch")}}
    json.dump(states, open(os.path.join("sites", "apps.json"), "w"))
elif args[0] == "setup":
    pass
elif args[0] == "build":
    for app in os.listdir("apps"):
        os.makedirs(os.path.join("sites", "assets", app), exist_ok=True)
    with open(os.path.join("sites", "assets", "assets.json"), "w") as f:
        json.dump({"built": sorted(os.listdir("apps"))}, f)
else:
    sys.exit("fake bench: unexpected command " + " ".join(args))
`;

function have(cmd: string): boolean {
    return spawnSync(cmd, ["--version"], { stdio: "ignore" }).status === 0;
}

interface Fixture {
    root: string;
    env: NodeJS.ProcessEnv;
    commits: Record<string, string>;
    log: string;
}

function git(cwd: string, env: NodeJS.ProcessEnv, ...args: string[]): string {
    return execFileSync("git", args, { cwd, env, encoding: "utf8" }).trim();
}

/** A Python package's metadata naming it `name`, as `bench new-app` writes it (pyproject.toml). */
function pyproject(name: string): Record<string, string> {
    return { "pyproject.toml": `[project]\nname = "${name}"\n` };
}

/**
 * A repository under repos/<slug> served as https://HOST/<slug>, whose first commit also holds
 * `packageFiles` (by default a pyproject.toml naming the package after the repository).
 */
function addRepo(
    f: Pick<Fixture, "root" | "env" | "commits">,
    slug: string,
    history: { file: string; tag?: string; key: string }[],
    packageFiles: Record<string, string> = pyproject(path.basename(slug)),
): void {
    const dir = path.join(f.root, "repos", slug);
    fs.mkdirSync(dir, { recursive: true });
    git(dir, f.env, "init", "--quiet");
    for (const [file, text] of Object.entries(packageFiles)) {
        fs.writeFileSync(path.join(dir, file), text);
    }
    for (const step of history) {
        fs.writeFileSync(path.join(dir, step.file), step.key);
        git(dir, f.env, "add", ".");
        git(dir, f.env, "commit", "--quiet", "-m", step.key);
        f.commits[step.key] = git(dir, f.env, "rev-parse", "HEAD");
        if (step.tag) {
            git(dir, f.env, "tag", step.tag);
        }
    }
}

function makeFixture(): Fixture {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "build-bench-"));
    const gitconfig = path.join(root, "gitconfig");
    fs.writeFileSync(
        gitconfig,
        [
            `[url "file://${root}/repos/"]`,
            `    insteadOf = https://${HOST}/`,
            '[protocol "file"]',
            "    allow = always",
            "[user]",
            "    name = test",
            "    email = test@example.test",
            "[init]",
            "    defaultBranch = develop",
            "",
        ].join("\n"),
    );
    const bin = path.join(root, "bin");
    fs.mkdirSync(bin);
    fs.writeFileSync(path.join(bin, "bench"), FAKE_BENCH, { mode: 0o755 });
    const log = path.join(root, "bench.log");
    const env: NodeJS.ProcessEnv = {
        PATH: `${bin}${path.delimiter}${process.env.PATH ?? ""}`,
        HOME: root,
        GIT_CONFIG_GLOBAL: gitconfig,
        GIT_CONFIG_NOSYSTEM: "1",
        FAKE_BENCH_LOG: log,
        FRAPPE_PATH: `https://${HOST}/frappe/frappe`,
        FRAPPE_BRANCH: "v15.49.1",
    };

    const commits: Record<string, string> = {};
    const repo = (slug: string, history: { file: string; tag?: string; key: string }[]) =>
        addRepo({ root, env, commits }, slug, history);
    repo("frappe/frappe", [{ file: "frappe.txt", tag: "v15.49.1", key: "frappe" }]);
    repo("frappe/erpnext", [
        { file: "erpnext.txt", tag: "v15.45.1", key: "erpnext-release" },
        { file: "erpnext.txt", key: "erpnext-after" },
    ]);
    repo("acme/private_app", [
        { file: "app.txt", key: "private-pinned" },
        { file: "app.txt", key: "private-tip" },
    ]);
    return { root, env, commits, log };
}

function writeSecret(f: Fixture, apps: readonly AppEntry[]): string {
    const plan = planImageBuild({
        repository: "ghcr.io/acme/erpnext",
        build: {
            frappePath: `https://${HOST}/frappe/frappe`,
            frappeBranch: "v15.49.1",
            imagePrefix: "frappe",
            platforms: ["linux/amd64"],
            extraTags: [],
        },
        apps,
        contextDigest: "0".repeat(64),
    });
    const file = path.join(f.root, "apps_json");
    fs.writeFileSync(file, plan.appsJsonSecret(TOKEN));
    return file;
}

function runScript(f: Fixture, secret: string, extraEnv: NodeJS.ProcessEnv = {}) {
    const result = spawnSync("python3", [SCRIPT, "--apps", secret, "--bench", path.join(f.root, "frappe-bench")], {
        env: { ...f.env, ...extraEnv },
        encoding: "utf8",
    });
    const log = fs.existsSync(f.log)
        ? fs
              .readFileSync(f.log, "utf8")
              .trim()
              .split("\n")
              .map((l) => JSON.parse(l) as Record<string, unknown>)
        : [];
    return { status: result.status, output: `${result.stdout}${result.stderr}`, log };
}

function listAll(dir: string): string[] {
    const out: string[] = [];
    const walk = (rel: string) => {
        for (const e of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
            const child = path.join(rel, e.name);
            out.push(child);
            if (e.isDirectory()) {
                walk(child);
            }
        }
    };
    walk("");
    return out;
}

describe("images/build-bench.py", function () {
    let f: Fixture;
    const apps = () => [
        { url: `https://${HOST}/frappe/erpnext`, branch: "v15.45.1" },
        {
            url: `https://${HOST}/acme/private_app`,
            branch: "develop",
            commit: f.commits["private-pinned"],
            private: true as const,
        },
    ];

    before(function () {
        if (!have("python3") || !have("git")) {
            this.skip();
        }
    });
    beforeEach(() => {
        f = makeFixture();
    });
    afterEach(() => {
        fs.rmSync(f.root, { recursive: true, force: true });
    });

    it("installs tagged and commit-pinned apps, builds once, and leaves the image layout", () => {
        const run = runScript(f, writeSecret(f, apps()));
        assert.equal(run.status, 0, run.output);

        const calls = run.log
            .filter((l) => Array.isArray(l.argv))
            .map((l) => (l.argv as string[]).slice(0, 2).join(" "));
        assert.deepEqual(calls, [
            "init --frappe-branch",
            "get-app --skip-assets",
            "get-app --skip-assets",
            "setup requirements",
            "build --production",
        ]);
        const getApps = run.log.filter((l) => Array.isArray(l.argv) && (l.argv as string[])[0] === "get-app");
        assert.deepEqual(
            getApps.map((l) => (l.argv as string[]).slice(-3)),
            [
                ["--branch", "v15.45.1", `https://${HOST}/frappe/erpnext`],
                ["--branch", "develop", `https://${HOST}/acme/private_app`],
            ],
        );
        assert.ok(getApps.every((l) => l.credentials_env === true));
        const others = run.log.filter((l) => Array.isArray(l.argv) && (l.argv as string[])[0] !== "get-app");
        assert.ok(
            others.every((l) => l.credentials_env === false),
            "credentials reached init, setup or build",
        );
        assert.deepEqual(
            run.log.find((l) => l.credential_for === "private_app"),
            { credential_for: "private_app", username: "x-access-token", password: TOKEN },
        );

        const bench = path.join(f.root, "frappe-bench");
        const manifest = JSON.parse(fs.readFileSync(path.join(bench, "build-manifest.json"), "utf8")) as {
            frappe: { commit: string };
            apps: { name: string; url: string; commit: string }[];
        };
        assert.equal(manifest.frappe.commit, f.commits.frappe);
        assert.deepEqual(
            manifest.apps.map((a) => [a.name, a.url, a.commit]),
            [
                ["erpnext", `https://${HOST}/frappe/erpnext`, f.commits["erpnext-release"]],
                ["private_app", `https://${HOST}/acme/private_app`, f.commits["private-pinned"]],
            ],
        );
        assert.equal(fs.readFileSync(path.join(bench, "apps", "private_app", "app.txt"), "utf8"), "private-pinned");
        const states = JSON.parse(fs.readFileSync(path.join(bench, "sites", "apps.json"), "utf8")) as Record<
            string,
            { resolution: { commit_hash: string } }
        >;
        assert.equal(states.private_app.resolution.commit_hash, f.commits["private-pinned"]);

        assert.equal(fs.readFileSync(path.join(bench, "sites", "common_site_config.json"), "utf8"), "{}\n");
        assert.ok(fs.existsSync(path.join(bench, "assets", "assets.json")));
        assert.ok(!fs.existsSync(path.join(bench, "sites", "assets")));
        assert.deepEqual(
            listAll(bench).filter((p) => p.split(path.sep).includes(".git")),
            [],
        );
        assert.ok(!run.output.includes(TOKEN));
        assert.ok(!run.output.includes(encodeURIComponent(TOKEN)));
    });

    it("fails when a credential ends up in the bench, without printing it", () => {
        const run = runScript(f, writeSecret(f, apps()), { FAKE_BENCH_LEAK: "private_app" });
        assert.equal(run.status, 1, run.output);
        assert.match(run.output, /a git credential was found in apps\/private_app\/leak\.txt/);
        assert.ok(!run.output.includes(TOKEN));
    });

    it("fails when the pinned commit cannot be fetched", () => {
        const pinned = apps().map((a) => (a.private ? { ...a, commit: "f".repeat(40) } : a));
        const run = runScript(f, writeSecret(f, pinned));
        assert.equal(run.status, 1, run.output);
        assert.match(run.output, /`git fetch --quiet` failed/);
        assert.ok(!fs.existsSync(path.join(f.root, "frappe-bench", "build-manifest.json")));
    });

    it("checks PYTHON_VERSION and NODE_VERSION before doing anything", () => {
        const run = runScript(f, writeSecret(f, apps()), { PYTHON_VERSION: "2.7" });
        assert.equal(run.status, 1, run.output);
        assert.match(run.output, /PYTHON_VERSION is 2\.7 but the build image has Python 3\./);
        assert.deepEqual(run.log, []);
        const node = runScript(f, writeSecret(f, apps()), { NODE_VERSION: "1.2.3" });
        assert.equal(node.status, 1, node.output);
        assert.match(node.output, /NODE_VERSION is 1\.2\.3/);
    });

    it("refuses a missing secret and malformed entries", () => {
        const missing = runScript(f, path.join(f.root, "absent"));
        assert.equal(missing.status, 1);
        assert.match(missing.output, /pass apps\.json as the BuildKit secret 'apps_json'/);
        const file = path.join(f.root, "bad.json");
        fs.writeFileSync(file, JSON.stringify([{ url: `https://${HOST}/a/b`, branch: "v1.0.0", commit: "abc" }]));
        const bad = runScript(f, file);
        assert.equal(bad.status, 1);
        assert.match(bad.output, /apps\.json\[0\]\.commit must be a full 40-character/);
    });

    it("answers git's credential requests only for hosts it holds a token for", () => {
        const ask = (host: string) =>
            spawnSync("python3", [SCRIPT, "git-credential", "get"], {
                input: `protocol=https\nhost=${host}\n\n`,
                env: {
                    ...f.env,
                    FRAPPE_BUILD_GIT_CREDENTIALS: JSON.stringify({
                        [`https://${HOST}`]: { username: "bot", password: "pw" },
                    }),
                },
                encoding: "utf8",
            }).stdout;
        assert.equal(ask(HOST), "username=bot\npassword=pw\n");
        assert.equal(ask("other.example.test"), "");
    });
    describe("app names: bench names an app after its Python package", () => {
        const erpnext = { url: `https://${HOST}/frappe/erpnext`, branch: "v15.45.1" };
        const customizations = { url: `https://${HOST}/acme/erp-customizations`, branch: "v1.0.0" };
        beforeEach(() => {
            addRepo(f, "acme/acme-erp", [{ file: "app.txt", tag: "v2.0.0", key: "acme-erp" }], pyproject("acme_erp"));
            addRepo(
                f,
                "acme/erp-customizations",
                [{ file: "app.txt", tag: "v1.0.0", key: "customizations" }],
                pyproject("acme_custom"),
            );
        });

        it("accepts the app under its package's name, derived or declared, from pyproject, setup.cfg or setup.py", () => {
            addRepo(f, "acme/old-tools", [{ file: "app.txt", tag: "v0.9.0", key: "old-tools" }], {
                "setup.cfg": "[metadata]\nname = tools\n",
            });
            addRepo(f, "acme/Legacy", [{ file: "app.txt", tag: "v0.1.0", key: "legacy" }], {
                "setup.py": 'from setuptools import setup\n\nsetup(\n    name="legacy_app",\n    version="0.1.0",\n)\n',
            });
            const run = runScript(
                f,
                writeSecret(f, [
                    erpnext,
                    { url: `https://${HOST}/acme/acme-erp`, branch: "v2.0.0" },
                    { ...customizations, name: "acme_custom" },
                    { url: `https://${HOST}/acme/old-tools`, branch: "v0.9.0", name: "tools" },
                    { url: `https://${HOST}/acme/Legacy`, branch: "v0.1.0", name: "legacy_app" },
                ]),
            );
            assert.equal(run.status, 0, run.output);
            const bench = path.join(f.root, "frappe-bench");
            const names = ["erpnext", "acme_erp", "acme_custom", "tools", "legacy_app"];
            const manifest = JSON.parse(fs.readFileSync(path.join(bench, "build-manifest.json"), "utf8")) as {
                apps: { name: string }[];
            };
            assert.deepEqual(
                manifest.apps.map((a) => a.name),
                names,
            );
            assert.deepEqual(fs.readdirSync(path.join(bench, "apps")).sort(), ["frappe", ...names].sort());
            assert.equal(
                fs.readFileSync(path.join(bench, "sites", "apps.txt"), "utf8"),
                ["frappe", ...names, ""].join("\n"),
            );
        });

        it("fails before bench build when the app is not the name apps.json derives, giving the fix", () => {
            const run = runScript(f, writeSecret(f, [erpnext, customizations]));
            assert.equal(run.status, 1, run.output);
            assert.ok(
                run.output.includes(
                    `[build-bench] ERROR: apps.json[1] (https://${HOST}/acme/erp-customizations) should install the ` +
                        "app erp_customizations (derived from the repository's name), but bench get-app installed it " +
                        "as apps/acme_custom (bench names an app after its Python package: pyproject.toml [project] " +
                        'name, else setup.cfg or setup.py); set "name": "acme_custom" on this entry of apps.json and ' +
                        "list acme_custom in the sites' apps\n",
                ),
                run.output,
            );
            assert.ok(!run.log.some((l) => Array.isArray(l.argv) && (l.argv as string[])[0] === "build"));
            assert.ok(!fs.existsSync(path.join(f.root, "frappe-bench", "build-manifest.json")));
        });

        it("fails when the declared name is not the package's", () => {
            const run = runScript(f, writeSecret(f, [erpnext, { ...customizations, name: "erp_custom" }]));
            assert.equal(run.status, 1, run.output);
            assert.match(
                run.output,
                /apps\.json\[1\] \(\S+\) should install the app erp_custom \(its "name"\), but bench get-app installed it as apps\/acme_custom .*set "name": "acme_custom"/,
            );
        });

        it("the stand-in fails get-app, as bench does, for a repository with no package metadata", () => {
            addRepo(f, "acme/bare", [{ file: "app.txt", tag: "v1.0.0", key: "bare" }], {});
            const run = runScript(f, writeSecret(f, [erpnext, { url: `https://${HOST}/acme/bare`, branch: "v1.0.0" }]));
            assert.equal(run.status, 1, run.output);
            assert.match(run.output, /FileNotFoundError: .*setup\.py/);
            assert.match(run.output, /`bench get-app --skip-assets` failed with exit code 1/);
        });

        it("fails on an app bench names with what no site can list (its setup.py regex on a one-line setup())", () => {
            addRepo(f, "acme/oneline", [{ file: "app.txt", tag: "v1.0.0", key: "oneline" }], {
                "setup.py": 'from setuptools import setup\nsetup(name="oneline", version="1.0.0")\n',
            });
            const run = runScript(
                f,
                writeSecret(f, [erpnext, { url: `https://${HOST}/acme/oneline`, branch: "v1.0.0" }]),
            );
            assert.equal(run.status, 1, run.output);
            assert.ok(
                run.output.includes(
                    `apps.json[1] (https://${HOST}/acme/oneline): bench get-app installed the app as ` +
                        'apps/oneline", version="1.0.0, which is not an app name a site can list',
                ),
                run.output,
            );
        });

        it("refuses a name that is not an app name", () => {
            const file = path.join(f.root, "bad.json");
            fs.writeFileSync(file, JSON.stringify([{ ...customizations, name: "Acme-Custom" }]));
            const run = runScript(f, file);
            assert.equal(run.status, 1);
            assert.match(run.output, /apps\.json\[0\]\.name must be an app name \(a-z, 0-9, _\)/);
            assert.deepEqual(run.log, []);
        });

        it("derives the same name as the config check (appNameOf)", () => {
            const urls = [
                `https://${HOST}/frappe/erpnext`,
                `https://${HOST}/resilient-tech/india-compliance.git`,
                `https://${HOST}/group/sub/My-App.GIT`,
                `https://${HOST}/acme/trailing/`,
            ];
            const derive = spawnSync(
                "python3",
                [
                    "-c",
                    "import importlib.util, json, sys\n" +
                        "spec = importlib.util.spec_from_file_location('build_bench', sys.argv[1])\n" +
                        "module = importlib.util.module_from_spec(spec)\n" +
                        "spec.loader.exec_module(module)\n" +
                        "print(json.dumps([module.derived_app_name(u) for u in sys.argv[2:]]))",
                    SCRIPT,
                    ...urls,
                ],
                { encoding: "utf8" },
            );
            assert.equal(derive.status, 0, derive.stderr);
            assert.deepEqual(
                JSON.parse(derive.stdout),
                urls.map((url) => appNameOf({ url })),
            );
            assert.deepEqual(JSON.parse(derive.stdout), ["erpnext", "india_compliance", "my_app", "trailing"]);
        });
    });
});
