import { dockerName, standardLabels } from "../conventions/naming";
import { JobSpec, SECRETS_DIR, VolumeKey } from "./model";
import { shellQuote } from "./scripts";

/**
 * How a run-once job runs: `docker run` through the Docker CLI of the machine running Pulumi, against
 * the same Docker host as everything else. Unlike a container resource, a failing `docker run` fails
 * the Pulumi step itself, so nothing failed is recorded as done and the next `pulumi up` runs the job
 * again; and it has no provider-side time limit (the container resource's create is capped at 20
 * minutes, shorter than a large migration or backup).
 */

/** Names the job needs, resolved (Docker names are deterministic per stack). */
export interface JobRunNames {
    readonly stack: string;
    readonly image: string;
    readonly network: string;
    readonly volumes: Readonly<Partial<Record<VolumeKey, string>>>;
}

/**
 * The container's own prelude: secrets arrive on stdin as `<path> <base64>` lines into a tmpfs. It
 * runs under `set -euo pipefail` and checks each file, because `$(cat file)` of a missing secret
 * would otherwise hand bench an empty password without failing.
 */
export const SECRET_PRELUDE = [
    "set -euo pipefail",
    'while IFS=" " read -r file value || [ -n "$file" ]; do',
    '  printf %s "$value" | base64 -d > "$file" && chmod 0400 "$file" && [ -s "$file" ] || { echo "secret $file was not written" >&2; exit 1; }',
    "done",
].join("\n");

/** The line a successful job prints last: the ID of the container that did the work, unique per run. */
export const RUN_TOKEN_PREFIX = "frappe-job-run:";

/** `docker run` arguments for a job, in a fixed order so a diff shows only what really changed. */
export function dockerRunArgs(spec: JobSpec, names: JobRunNames): string[] {
    const args = ["docker", "run", "-i", "--name", dockerName(names.stack, spec.key), "--network", names.network];
    for (const m of spec.mounts) {
        const volume = names.volumes[m.volume];
        if (volume === undefined) {
            throw new Error(`${spec.key}: volume ${m.volume} is not part of this stack`);
        }
        args.push("--volume", `${volume}:${m.containerPath}${m.readOnly ? ":ro" : ""}`);
    }
    for (const key of Object.keys(spec.env).sort()) {
        args.push("--env", `${key}=${spec.env[key]}`);
    }
    for (const { label, value } of standardLabels(names.stack, spec.role)) {
        args.push("--label", `${label}=${value}`);
    }
    if (spec.secretFiles.length > 0) {
        // In memory, owned by the frappe user, gone with the container.
        args.push("--tmpfs", `${SECRETS_DIR}:uid=1000,gid=1000,mode=0700`);
    }
    const [entrypoint, ...entryArgs] = spec.entrypoint ?? ["bash", "-c"];
    args.push("--entrypoint", entrypoint, names.image, ...entryArgs);
    return args;
}

/** The script the job container runs: the secret prelude (when it needs secrets), then the job. */
export function containerScript(spec: JobSpec): string {
    const script = spec.command?.[0] ?? "";
    return spec.secretFiles.length > 0 ? `${SECRET_PRELUDE}\n${script}` : script;
}

/**
 * The local shell program of the job: refuse to start while an earlier run of it is still active,
 * run the container with the job script (passed in `$FRAPPE_JOB_SCRIPT`), keep a failed container for
 * `docker logs`, print the run token, remove a successful container.
 *
 * Everything here is part of the command resource's inputs: changing this text runs every job of
 * every stack again at its next deploy (a maintenance window), so change it deliberately.
 */
export function jobCommand(spec: JobSpec, names: JobRunNames): string {
    const name = dockerName(names.stack, spec.key);
    const run = dockerRunArgs(spec, names).map(shellQuote).join(" ");
    const failure =
        `Job ${spec.key} (${spec.description}) failed with exit code $code; nothing after it was deployed. ` +
        `Its container is kept: docker logs ${name}. Fix the cause and run pulumi up again (this step runs again), ` +
        `or restore the backup the pre-upgrade-backup job took (README: Recovering from a failed upgrade).`;
    return [
        "set -eu",
        `name=${shellQuote(name)}`,
        `if status=$(docker container inspect -f '{{.State.Status}}' "$name" 2>&1); then`,
        '  case "$status" in',
        `    running | paused | restarting) printf '%s\\n' "$name is still active from an earlier deploy; wait for it: docker wait $name" >&2; exit 1 ;;`,
        "  esac",
        '  docker rm "$name" > /dev/null',
        `elif ! printf '%s' "$status" | grep -qi 'no such container'; then`,
        `  printf '%s\\n' "cannot reach Docker to run job ${spec.key}: $status" >&2; exit 1`,
        "fi",
        "code=0",
        `${run} "$FRAPPE_JOB_SCRIPT" || code=$?`,
        `if [ "$code" -ne 0 ]; then printf '%s\\n' ${shellQuote(failure).replace(/\$code/g, `'"$code"'`)} >&2; exit "$code"; fi`,
        // Under set -e: without a token the jobs after this one would not know it ran, so fail instead.
        `id=$(docker container inspect -f '{{.Id}}' "$name")`,
        `printf '%s\\n' "${RUN_TOKEN_PREFIX} $id"`,
        `docker rm "$name" > /dev/null || printf '%s\\n' "warning: could not remove the finished container $name" >&2`,
    ].join("\n");
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
