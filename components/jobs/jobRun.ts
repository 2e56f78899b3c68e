import { dockerName, standardLabels } from "../conventions/naming";
import { FRAPPE_GID, FRAPPE_UID, SECRETS_DIR } from "../bench/layout";
import { JobSpec, VolumeKey } from "../bench/model/types";
import { VolumeDriver, volumeMounts } from "./context";
import { paramEnv } from "./params";
import { jobRevision } from "./revisions";
import { readScript, ScriptFile, SCRIPTS_DIR_FROM_PROJECT } from "../bench/scriptFiles";

/**
 * How a run-once job runs: `docker run` through the Docker CLI of the machine running Pulumi, against
 * the same Docker host as everything else. Unlike a container resource, a failing `docker run` fails
 * the Pulumi step itself, so nothing failed is recorded as done and the next `pulumi up` runs the job
 * again; and it has no provider-side time limit (the container resource's create is capped at 20
 * minutes, shorter than a large migration or backup).
 *
 * The program that does this (run-job.sh) and the job's script are files read when the job runs,
 * not inputs of the command: the command's inputs are only what the job does (image, parameters,
 * mounts, network, which secrets, the revision of its scripts, the runs before it). So a release that
 * rewords a message re-runs no job; one that changes what a script does bumps its revision.
 */

/** Names the job needs, resolved (Docker names are deterministic per stack). */
export interface JobRunNames {
    readonly stack: string;
    readonly image: string;
    /** The networks the container joins: it is created on the first, connected to the others before it starts. */
    readonly networks: readonly string[];
    readonly volumes: Readonly<Partial<Record<VolumeKey, string>>>;
    /**
     * Volumes mounted with `--mount ...,volume-driver=...,volume-opt=...`, so that Docker creates them
     * with these options on the node the job runs on when they are not there yet (Swarm).
     */
    readonly volumeDrivers?: Readonly<Partial<Record<VolumeKey, VolumeDriver>>>;
}

/** One field of `--mount`, which the Docker CLI reads as a CSV record: quoted when it holds a comma or quote. */
function csvField(field: string): string {
    return /[",\n]/.test(field) ? `"${field.replace(/"/g, '""')}"` : field;
}

/** `--mount` value of a volume created with a driver and options when the node does not have it. */
export function mountWithDriver(volume: string, target: string, readOnly: boolean, d: VolumeDriver): string {
    const fields = [`type=volume`, `source=${volume}`, `target=${target}`];
    if (readOnly) {
        fields.push("readonly");
    }
    fields.push(`volume-driver=${d.driver}`);
    for (const key of Object.keys(d.options).sort()) {
        fields.push(`volume-opt=${key}=${d.options[key]}`);
    }
    return fields.map(csvField).join(",");
}

/** The container's own prelude: reads the secrets from stdin into the tmpfs (secret-prelude.sh). */
export const SECRET_PRELUDE = readScript("secret-prelude.sh").replace(/\n+$/, "");

/** The line a successful job prints last: the ID of the container that did the work, unique per run. */
const RUN_TOKEN_PREFIX = "frappe-job-run:";

/** Every job's command: the wrapper, relative to the project directory the provider runs it in. */
export const JOB_CREATE = `bash ${SCRIPTS_DIR_FROM_PROJECT}/run-job.sh`;

/**
 * Where the run arguments of a job that runs the image a process runs now (`running`) say the image:
 * run-job.sh puts in what the renderer's FRAPPE_JOB_IMAGE_FROM names. Not an image reference, so a
 * job started without it fails in `docker run` instead of running something else.
 */
export const RUNNING_IMAGE = "{image}";

/** The image a job's `docker run` names: its own, or the placeholder run-job.sh fills in. */
function jobImage(spec: JobSpec, deployImage: string): string {
    switch (spec.image.kind) {
        case "frappe":
            return deployImage;
        case "fixed":
            return spec.image.ref;
        case "running":
            return RUNNING_IMAGE;
    }
}

/** `docker run` arguments for a job, in a fixed order so a diff shows only what really changed. */
export function dockerRunArgs(spec: JobSpec, names: JobRunNames): string[] {
    const args = ["docker", "run", "-i", "--name", dockerName(names.stack, spec.key), "--network", names.networks[0]];
    volumeMounts(spec.key, spec.mounts, names.volumes).forEach((m, i) => {
        const driver = names.volumeDrivers?.[spec.mounts[i].volume];
        if (driver !== undefined) {
            args.push("--mount", mountWithDriver(m.volumeName, m.containerPath, m.readOnly, driver));
        } else {
            args.push("--volume", `${m.volumeName}:${m.containerPath}${m.readOnly ? ":ro" : ""}`);
        }
    });
    const image = jobImage(spec, names.image);
    const env: Record<string, string> = { ...paramEnv(spec.params), FRAPPE_IMAGE: image };
    for (const key of Object.keys(env).sort()) {
        args.push("--env", `${key}=${env[key]}`);
    }
    for (const { label, value } of standardLabels(names.stack, spec.role)) {
        args.push("--label", `${label}=${value}`);
    }
    if (spec.secretFiles.length > 0) {
        // In memory, owned by the frappe user, gone with the container.
        args.push("--tmpfs", `${SECRETS_DIR}:uid=${FRAPPE_UID},gid=${FRAPPE_GID},mode=0700`);
    }
    const [entrypoint, ...entryArgs] = spec.entrypoint ?? ["bash", "-c"];
    args.push("--entrypoint", entrypoint, image, ...entryArgs);
    return args;
}

/** The environment of a job's command (its inputs besides stdin and triggers); see run-job.sh. */
export function jobEnvironment(spec: JobSpec, names: JobRunNames): Record<string, string> {
    const runArgs = dockerRunArgs(spec, names).slice(2);
    const multiline = runArgs.find((a) => a.includes("\n"));
    if (multiline !== undefined) {
        throw new Error(`${spec.key}: a docker run argument spans lines, which run-job.sh cannot pass: ${multiline}`);
    }
    return {
        FRAPPE_JOB_KEY: spec.key,
        FRAPPE_JOB_NAME: dockerName(names.stack, spec.key),
        FRAPPE_JOB_SCRIPT: spec.script,
        FRAPPE_JOB_RUN_ARGS: runArgs.join("\n"),
        FRAPPE_JOB_PRELUDE: spec.secretFiles.length > 0 ? "1" : "0",
        FRAPPE_JOB_REVISION: jobRevision(spec.script, spec.helpers),
        ...(names.networks.length > 1 ? { FRAPPE_JOB_NETWORKS: names.networks.slice(1).join(" ") } : {}),
        ...(spec.helpers.length === 0 ? {} : { FRAPPE_JOB_HELPERS: spec.helpers.join(" ") }),
    };
}

/** The line that ends each helper's here-document in the container's script (run-job.sh). */
export const HELPER_END = "FRAPPE_JOB_HELPER_END";

/**
 * The script the job container runs, as run-job.sh puts it together: the secret prelude when needed,
 * each helper written into $FRAPPE_JOB_HELPERS_DIR by a quoted here-document, then the job.
 */
export function containerScript(spec: JobSpec): string {
    return composedScript(spec.script, spec.secretFiles.length > 0, spec.helpers);
}

/** What containerScript puts together, from the parts a job's command names (FRAPPE_JOB_SCRIPT, ...). */
export function composedScript(script: ScriptFile, prelude: boolean, helpers: readonly ScriptFile[]): string {
    const trim = (text: string) => text.replace(/\n+$/, "");
    const parts = prelude ? [trim(readScript("secret-prelude.sh"))] : [];
    if (helpers.length > 0) {
        parts.push("FRAPPE_JOB_HELPERS_DIR=$(mktemp -d); export FRAPPE_JOB_HELPERS_DIR");
        for (const helper of helpers) {
            parts.push(
                `cat > "$FRAPPE_JOB_HELPERS_DIR/${helper}" <<'${HELPER_END}'\n${trim(readScript(helper))}\n${HELPER_END}`,
            );
        }
    }
    parts.push(trim(readScript(script)));
    return parts.join("\n");
}

/** The run token in a job's output; a new one means the job ran in this deploy. */
export function runToken(stdout: string): string {
    const line = stdout
        .split("\n")
        .filter((l) => l.startsWith(RUN_TOKEN_PREFIX))
        .pop();
    return line === undefined ? "" : line.slice(RUN_TOKEN_PREFIX.length).trim();
}

/** What the job reads on stdin: one `<path> <base64 value>` line per secret file. */
export function secretStdin(spec: JobSpec, values: Readonly<Partial<Record<string, string>>>): string {
    return spec.secretFiles
        .map((f) => {
            const value = values[f.secret];
            if (value === undefined) {
                throw new Error(`${spec.key}: secret ${f.secret} is needed but was not provided`);
            }
            return `${f.path} ${Buffer.from(value, "utf8").toString("base64")}\n`;
        })
        .join("");
}
