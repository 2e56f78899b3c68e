import { strict as assert } from "assert";
import { spawnSync, SpawnSyncReturns } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { isMovingRef } from "../components/conventions/tags";
import { containers, loadStackConfig, ProgramRun, REPO_ROOT, runProgram } from "./harness";

describe("Pulumi.local.yaml (the first deploy: no edit, no secret)", () => {
    let run: ProgramRun;
    before(async () => {
        const { config, secrets } = loadStackConfig("local");
        assert.deepEqual(secrets, {}, "the file sets no secret");
        run = await runProgram({ stack: "local", config });
        assert.equal(run.error, undefined, run.error?.message);
        assert.deepEqual(run.rejections, []);
    });

    it("runs the public frappe/erpnext image at a pinned release", () => {
        const ref = String(run.outputs.imageRef.value);
        assert.match(ref, /^frappe\/erpnext:v\d+\.\d+\.\d+$/);
        assert.equal(isMovingRef(ref.split(":")[1]), false);
        const fromShipped = fs.readFileSync(path.join(REPO_ROOT, "Pulumi.local.yaml"), "utf8");
        assert.ok(fromShipped.includes(`frappe:tag: ${ref.split(":")[1]}`));
    });

    it("registers no build, no registry and no certificate resolver", () => {
        const types = new Set(run.resources.map((r) => r.type));
        assert.ok(!types.has("docker-build:index:Image"));
        assert.ok(![...types].some((t) => /registry|remoteImage/i.test(t)), [...types].join(", "));
        const everything = JSON.stringify(run.resources.map((r) => r.inputs));
        assert.doesNotMatch(everything, /certificatesresolvers|acme|letsencrypt|docker\.sock/i);
        assert.ok(!containers(run).some((c) => String(c.inputs.name).endsWith("-proxy")));
    });

    it("serves one site that resolves without DNS, on a port that needs no root", () => {
        assert.deepEqual(run.outputs.sites.value, ["erp.localhost"]);
        const published = containers(run).flatMap((c) => (c.inputs.ports as { external?: number }[] | undefined) ?? []);
        assert.deepEqual(
            published.map((p) => p.external),
            [8080],
        );
    });

    it("answers at erp.localhost, localhost and the machine's address: nginx pins the one site, as pwd.yml does", () => {
        const frontend = containers(run).find((c) => String(c.inputs.name) === "frappe-local-frontend");
        assert.ok(frontend);
        assert.ok(
            ((frontend.inputs.envs as string[] | undefined) ?? []).includes("FRAPPE_SITE_NAME_HEADER=erp.localhost"),
        );
    });

    it("generates the passwords and keeps them secret", () => {
        assert.equal(run.resources.filter((r) => r.type === "random:index/randomPassword:RandomPassword").length, 2);
        assert.deepEqual(
            Object.keys(run.outputs).filter((k) => /password/i.test(k)),
            [],
        );
    });
});

/** A directory for PATH holding only the named tools: real ones linked in, fakes written as scripts. */
function toolDir(real: readonly string[], fakes: Record<string, string>): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "local-path-"));
    for (const tool of real) {
        const found = spawnSync("sh", ["-c", `command -v ${tool}`], { encoding: "utf8" }).stdout.trim();
        assert.ok(found, `${tool} is on this machine`);
        fs.symlinkSync(found, path.join(dir, tool));
    }
    for (const [name, body] of Object.entries(fakes)) {
        fs.writeFileSync(path.join(dir, name), `#!/bin/sh\n${body}\n`, { mode: 0o755 });
    }
    return dir;
}

const BASE_TOOLS = ["dirname", "mkdir", "od", "tr", "cat"];
const FAKE_NODE = 'case "$*" in *versions*) echo 22 ;; *) echo v22.0.0 ;; esac';
const DOCKER_UP = "exit 0";
const DOCKER_DOWN = 'echo "Cannot connect to the Docker daemon" >&2; exit 1';
/**
 * A `pulumi stack export --show-secrets` of the local stack: its generated Administrator password, as the CLI
 * prints a secret it shows (pulumi/pulumi pkg/resource/stack/deployment.go: signature key, JSON `plaintext`).
 */
const EXPORT =
    '{"deployment":{"resources":[{"urn":"urn:pulumi:local::frappe::frappe:index:Deployment$random:index/randomPassword:RandomPassword::frappe-admin-password","type":"random:index/randomPassword:RandomPassword","outputs":{"result":{"4dabf18193072939515e22adb298388d":"1b47061264138c4ac30d75fd1eb44270","plaintext":"\\"generated-admin-password\\""}}}]}}';
/** Logs every call with the environment the script gives it; answers the config reads and the export. */
function fakePulumi(log: string): string {
    return [
        `echo "$* | backend=$PULUMI_BACKEND_URL | passfile=\${PULUMI_CONFIG_PASSPHRASE_FILE:-} | pass=\${PULUMI_CONFIG_PASSPHRASE:-}" >> ${log}`,
        'case "$*" in',
        "*'sites[0].name'*) echo erp.localhost ;;",
        "*proxy.httpPort*) echo 8080 ;;",
        "*'config get adminPassword'*) exit 1 ;;",
        `*'stack export --show-secrets'*) echo '${EXPORT}' ;;`,
        "esac",
    ].join("\n");
}

function runLocal(
    dir: string,
    args: string[],
    env: Record<string, string> = {},
): SpawnSyncReturns<string> & { state: string } {
    const state = fs.mkdtempSync(path.join(os.tmpdir(), "local-state-"));
    const r = spawnSync("/bin/sh", [path.join(REPO_ROOT, "scripts", "local.sh"), ...args], {
        encoding: "utf8",
        env: { PATH: dir, HOME: state, FRAPPE_LOCAL_DIR: path.join(state, "backend"), ...env },
    });
    return { ...r, state: path.join(state, "backend") };
}

describe("npm run local (scripts/local.sh)", () => {
    it("is wired as the npm script the README gives", () => {
        const pkg = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "package.json"), "utf8")) as {
            scripts: Record<string, string>;
        };
        assert.equal(pkg.scripts.local, "sh scripts/local.sh");
    });

    it("passes shellcheck", () => {
        const r = spawnSync("shellcheck", [path.join(REPO_ROOT, "scripts", "local.sh")], { encoding: "utf8" });
        assert.equal(r.status, 0, r.stdout + r.stderr);
    });

    const missing = (...lines: string[]) =>
        `Missing before this can run:\n${lines.map((l) => `  - ${l}\n`).join("")}Then run this again.\n`;
    const NO_DOCKER =
        "The Docker CLI (docker) is not installed: install Docker Engine (https://docs.docker.com/engine/install/).";
    const NO_DAEMON =
        "The Docker daemon is not reachable (docker info failed): start it (sudo systemctl start docker) or add your user to the docker group.";
    const NO_PULUMI = "The Pulumi CLI (pulumi) is not installed: install it (https://www.pulumi.com/docs/install/).";

    it("names a missing Docker CLI", () => {
        const r = runLocal(toolDir(BASE_TOOLS, { pulumi: "exit 0", node: FAKE_NODE }), []);
        assert.equal(r.status, 1);
        assert.equal(r.stdout, "");
        assert.equal(r.stderr, missing(NO_DOCKER));
    });

    it("names a Docker daemon that is not running", () => {
        const r = runLocal(toolDir(BASE_TOOLS, { docker: DOCKER_DOWN, pulumi: "exit 0", node: FAKE_NODE }), []);
        assert.equal(r.status, 1);
        assert.equal(r.stderr, missing(NO_DAEMON));
    });

    it("names a missing Pulumi CLI", () => {
        const r = runLocal(toolDir(BASE_TOOLS, { docker: DOCKER_UP, node: FAKE_NODE }), []);
        assert.equal(r.status, 1);
        assert.equal(r.stderr, missing(NO_PULUMI));
    });

    it("names a Node.js older than the Pulumi SDK needs", () => {
        const r = runLocal(
            toolDir(BASE_TOOLS, {
                docker: DOCKER_UP,
                pulumi: "exit 0",
                node: 'case "$*" in *versions*) echo 20 ;; *) echo v20.19.2 ;; esac',
            }),
            [],
        );
        assert.equal(r.status, 1);
        assert.match(
            r.stderr,
            /^Missing before this can run:\n {2}- Node\.js 22 or newer is needed by the Pulumi program \(found: v20\.19\.2\)/,
        );
    });

    it("reports every missing prerequisite at once, not one per run", () => {
        const none = runLocal(toolDir(BASE_TOOLS, {}), []);
        assert.equal(none.status, 1);
        assert.equal(
            none.stderr,
            missing(
                NO_DOCKER,
                NO_PULUMI,
                "Node.js 22 or newer is needed by the Pulumi program (found: none): install it (https://nodejs.org/).",
            ),
        );
        const daemonAndPulumi = runLocal(toolDir(BASE_TOOLS, { docker: DOCKER_DOWN, node: FAKE_NODE }), []);
        assert.equal(daemonAndPulumi.stderr, missing(NO_DAEMON, NO_PULUMI));
    });

    it("deploys the local stack on a file backend with a generated passphrase, then says how to log in", () => {
        const log = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "local-log-")), "pulumi.log");
        const dir = toolDir(BASE_TOOLS, { docker: DOCKER_UP, pulumi: fakePulumi(log), node: FAKE_NODE });
        const r = runLocal(dir, ["--yes"]);
        assert.equal(r.status, 0, r.stderr);
        const passfile = path.join(r.state, "passphrase");
        assert.equal(fs.statSync(passfile).mode & 0o777, 0o600);
        assert.match(fs.readFileSync(passfile, "utf8"), /^[0-9a-f]{48}$/);
        const env = ` | backend=file://${r.state} | passfile=${passfile} | pass=`;
        assert.deepEqual(fs.readFileSync(log, "utf8").trim().split("\n"), [
            `stack select local --create --non-interactive${env}`,
            `up --stack local --yes${env}`,
            `config get --path sites[0].name --stack local${env}`,
            `config get --path proxy.httpPort --stack local${env}`,
        ]);
        assert.match(r.stdout, /^Generated the passphrase of the local stack's secrets: .*passphrase \(keep it;/);
        assert.match(
            r.stdout,
            /\n {2}URL: {7}http:\/\/erp\.localhost:8080\n {2}User: {6}Administrator\n {2}Password: {2}npm run local -- password\n/,
        );

        // A second run keeps the passphrase; `password` reads the generated password from the stack's state
        // with the same backend (scripts/password.ts, run by this Node: no password is a stack output).
        const before = fs.readFileSync(passfile, "utf8");
        const withNode = toolDir(BASE_TOOLS, { pulumi: fakePulumi(log), node: `exec ${process.execPath} "$@"` });
        const again = spawnSync("/bin/sh", [path.join(REPO_ROOT, "scripts", "local.sh"), "password"], {
            encoding: "utf8",
            env: { PATH: withNode, FRAPPE_LOCAL_DIR: r.state },
        });
        assert.equal(again.status, 0, again.stderr);
        assert.equal(again.stdout, "generated-admin-password\n");
        assert.equal(fs.readFileSync(passfile, "utf8"), before);
        const calls = fs.readFileSync(log, "utf8");
        assert.ok(calls.includes(`config get adminPassword --stack local${env}`), calls);
        assert.ok(calls.includes(`stack export --show-secrets --stack local${env}`), calls);
    });

    it("uses a passphrase the operator already set instead of generating one", () => {
        const log = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "local-log-")), "pulumi.log");
        const dir = toolDir(BASE_TOOLS, { docker: DOCKER_UP, pulumi: fakePulumi(log), node: FAKE_NODE });
        const r = runLocal(dir, ["--yes"], { PULUMI_CONFIG_PASSPHRASE: "operator-chosen" });
        assert.equal(r.status, 0, r.stderr);
        assert.ok(!fs.existsSync(path.join(r.state, "passphrase")));
        assert.match(
            fs.readFileSync(log, "utf8"),
            /^up --stack local --yes \| .* \| passfile= \| pass=operator-chosen$/m,
        );
    });

    it("prints the environment for other pulumi commands", () => {
        const dir = toolDir(BASE_TOOLS, {});
        const r = runLocal(dir, ["env"]);
        assert.equal(r.status, 0, r.stderr);
        assert.equal(
            r.stdout,
            `export PULUMI_BACKEND_URL='file://${r.state}'\n` +
                `export PULUMI_CONFIG_PASSPHRASE_FILE='${path.join(r.state, "passphrase")}'\n`,
        );
    });

    it("keeps the state and the passphrase out of git", () => {
        for (const file of [".pulumi-local/passphrase", ".pulumi-local/.pulumi/stacks/frappe/local.json"]) {
            assert.equal(spawnSync("git", ["check-ignore", "-q", file], { cwd: REPO_ROOT }).status, 0, file);
        }
    });
});
