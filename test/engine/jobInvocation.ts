import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { BenchJob } from "../../components/jobs/job";
import { JobSpec, VolumeKey } from "../../components/bench/model/types";
import { JobContext } from "../../components/jobs/context";
import { healthGateEnvironment } from "../../components/docker/healthGate";
import { SecretKey } from "../../components/config/schema";
import { unwrapSecrets } from "../mocks";

/**
 * The one adapter between the real-engine tests and the program's job runner: it builds the job the
 * way the program does (a BenchJob component under Pulumi's mock runtime), takes the inputs its
 * `command:local:Command` resource receives, and runs them the way pulumi-command v1.2.1 does
 * (provider/pkg/provider/local/commandOutputs.go, `run`): `interpreter` or `/bin/sh -c` followed by
 * `create`; the provider's own environment plus `environment`; `stdin` when non-empty, otherwise no
 * input (Go's nil Stdin reads the null device). When the job runner changes shape (wrapper files,
 * parameters as env), this file is the one place the tests follow it.
 */

/** The world a job runs in: resolved names, as the stack would hand them to BenchJob. */
export interface JobWorld {
    readonly stack: string;
    readonly image: string;
    /** The bench network. */
    readonly network: string;
    /** The data network, for a job that starts there (its spec's networks: data, bench). */
    readonly dataNetwork?: string;
    readonly volumes?: Readonly<Partial<Record<VolumeKey, string>>>;
    readonly secrets?: Readonly<Partial<Record<SecretKey, string>>>;
}

/** What the command provider would execute. */
export interface JobInvocation {
    readonly argv: readonly string[];
    /** Only what the resource adds; the provider's own environment comes first. */
    readonly environment: Readonly<Record<string, string>>;
    readonly stdin?: string;
}

export interface JobResult {
    readonly code: number | null;
    readonly stdout: string;
    readonly stderr: string;
}

function stringRecord(v: unknown): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [k, x] of Object.entries((v as Record<string, unknown> | undefined) ?? {})) {
        out[k] = String(x);
    }
    return out;
}

const testScripts = new WeakMap<JobSpec, string>();

/**
 * A job that runs a test's own script instead of one of components/bench/scripts/: the script is
 * written to a temporary directory that run-job.sh reads it from (FRAPPE_JOB_SCRIPTS_DIR, which the
 * program never sets); everything else (wrapper, prelude, docker run) is the program's.
 */
export function withTestScript(spec: JobSpec, script: string): JobSpec {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "job-script-"));
    // Its first line names what it does, as the `# Job:` line of every script file does.
    fs.writeFileSync(path.join(dir, spec.script), `# Job: ${spec.description}\n${script}`);
    testScripts.set(spec, dir);
    return spec;
}

/** The command, environment and stdin the job's command resource gets, taken from the resource itself. */
export async function jobInvocation(spec: JobSpec, world: JobWorld): Promise<JobInvocation> {
    let inputs: Record<string, unknown> | undefined;
    await pulumi.runtime.setMocks(
        {
            newResource(args) {
                if (args.type === "command:local:Command") {
                    inputs = unwrapSecrets(args.inputs, "", []) as Record<string, unknown>;
                }
                const state: Record<string, unknown> = { ...(args.inputs as Record<string, unknown>) };
                return { id: `${args.name}-id`, state: { ...state, stdout: "", stderr: "" } };
            },
            call(args) {
                throw new Error(`unexpected provider call ${args.token}`);
            },
        },
        "frappe",
        world.stack,
        false,
    );
    const context: JobContext = {
        stack: world.stack,
        frappeImage: world.image,
        networks: { bench: world.network, ...(world.dataNetwork === undefined ? {} : { data: world.dataNetwork }) },
        volumes: world.volumes ?? {},
        secrets: world.secrets ?? {},
    };
    // What the single-host renderer adds to a job: the health gate's settings (none unless the job has a gate).
    const environment = healthGateEnvironment(world.stack, spec);
    const job = new BenchJob(spec.key, { spec, context, dependsOn: [], upstreamRuns: [], environment });
    await new Promise<void>((resolve) => job.run.id.apply(() => resolve()));
    if (inputs === undefined) {
        throw new Error(`BenchJob ${spec.key} registered no command:local:Command`);
    }
    const interpreter = Array.isArray(inputs.interpreter) ? inputs.interpreter.map(String) : ["/bin/sh", "-c"];
    return {
        argv: [...interpreter, String(inputs.create)],
        environment: {
            ...stringRecord(inputs.environment),
            ...(testScripts.has(spec) ? { FRAPPE_JOB_SCRIPTS_DIR: testScripts.get(spec) ?? "" } : {}),
        },
        stdin: typeof inputs.stdin === "string" && inputs.stdin !== "" ? inputs.stdin : undefined,
    };
}

/** Runs an invocation as the command provider would; resolves when it exits (a non-zero code is a failed step). */
export function runInvocation(inv: JobInvocation): Promise<JobResult> {
    return new Promise((resolve, reject) => {
        const child = spawn(inv.argv[0], inv.argv.slice(1), {
            env: { ...process.env, ...inv.environment },
            stdio: [inv.stdin === undefined ? "ignore" : "pipe", "pipe", "pipe"],
        });
        let stdout = "";
        let stderr = "";
        child.stdout?.on("data", (d: Buffer) => (stdout += d.toString("utf8")));
        child.stderr?.on("data", (d: Buffer) => (stderr += d.toString("utf8")));
        child.on("error", reject);
        child.on("close", (code) => resolve({ code, stdout, stderr }));
        if (inv.stdin !== undefined) {
            child.stdin?.end(inv.stdin);
        }
    });
}

/** Builds and runs a job through the program's runner. */
export async function runJob(spec: JobSpec, world: JobWorld): Promise<JobResult> {
    return runInvocation(await jobInvocation(spec, world));
}
