/**
 * `npm run status -- --stack NAME [--json]`: what a stack runs now, the `docker compose ps` of this project.
 * Read-only. From the stack outputs (`pulumi stack output --json`: the container names, sites and their apps,
 * the image, the Docker host and whether it is a Swarm stack) and from the Docker host itself (the Docker CLI,
 * with the stack's `docker:host` as DOCKER_HOST):
 * - each process: its container (one host) or Swarm service, state, health and image; containers of failed
 *   jobs, kept for `docker logs`, listed apart;
 * - each site: its apps (as configured), whether it is in maintenance mode (`maintenance_mode` of its
 *   site_config.json), the age of its newest backup on the sites volume, of the last offsite backup and of
 *   its last restore drill (the status files of docs/restore.md).
 * The sites volume is read through one short-lived container of the stack's own image, with the volume
 * mounted read-only and no network; it prints only those facts (never site_config.json, which holds the
 * site's database password).
 */
import { spawnSync } from "child_process";
import { mountWithDriver } from "../components/jobs/jobRun";
import { SITES_DIR } from "../components/bench/layout";

export interface StatusOptions {
    readonly stack: string;
    readonly json: boolean;
}

export function parseStatusArgs(argv: readonly string[]): StatusOptions {
    let stack: string | undefined;
    let json = false;
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i];
        if (a === "--stack" || a === "-s") stack = argv[++i];
        else if (a.startsWith("--stack=")) stack = a.slice("--stack=".length);
        else if (a === "--json") json = true;
        else throw new Error(`unknown argument ${a}; usage: npm run status -- --stack NAME [--json]`);
    }
    if (stack === undefined || stack === "") {
        throw new Error("which stack? usage: npm run status -- --stack NAME [--json]");
    }
    return { stack, json };
}

interface Run {
    readonly status: number | null;
    readonly stdout: string;
    readonly stderr: string;
}

function run(cmd: string, args: readonly string[], env: NodeJS.ProcessEnv = process.env): Run {
    const r = spawnSync(cmd, args, { encoding: "utf8", env, timeout: 120_000 });
    if (r.error !== undefined) {
        return { status: 127, stdout: "", stderr: `${cmd}: ${r.error.message}` };
    }
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The stack outputs status reads (every one non-secret). */
export interface StackOutputs {
    readonly imageRef?: string;
    readonly containerNames?: string[];
    readonly volumeNames?: Record<string, string>;
    readonly siteApps?: Record<string, string[]>;
    readonly dockerHost?: string;
    readonly orchestrator?: "docker" | "swarm";
}

export function readOutputs(stack: string): StackOutputs {
    const r = run("pulumi", ["stack", "output", "--json", "--stack", stack]);
    if (r.status !== 0) {
        throw new Error(`cannot read the outputs of stack ${stack}: ${r.stderr.trim() || `pulumi exited ${r.status}`}`);
    }
    return JSON.parse(r.stdout) as StackOutputs;
}

export interface ProcessRow {
    readonly role: string;
    readonly name: string;
    readonly state: string;
    readonly health: string;
    readonly image: string;
    /** Swarm: the state of the service's last update (`UpdateStatus.State`: updating, paused, completed...). */
    readonly update?: string;
    /** Swarm: the images the service's running tasks run. */
    readonly runningImages?: string[];
}

interface Inspected {
    Name: string;
    Config: { Image: string; Labels: Record<string, string> | null };
    State: { Status: string; ExitCode: number; Health?: { Status: string } };
}

const SWARM_TASK_LABEL = "com.docker.swarm.task.id";

function containerRows(stack: string, managed: readonly string[], env: NodeJS.ProcessEnv) {
    const listed = run(
        "docker",
        ["ps", "-a", "--filter", `label=frappe.stack=${stack}`, "--format", "{{.Names}}"],
        env,
    );
    if (listed.status !== 0) throw new Error(`cannot list the containers of ${stack}: ${listed.stderr.trim()}`);
    const names = listed.stdout.split("\n").filter(Boolean);
    const inspected =
        names.length === 0
            ? []
            : (JSON.parse(run("docker", ["container", "inspect", ...names], env).stdout || "[]") as Inspected[]);
    const row = (c: Inspected): ProcessRow => ({
        role: c.Config.Labels?.["frappe.role"] ?? "?",
        name: c.Name.replace(/^\//, ""),
        state: c.State.Status === "exited" ? `exited (${c.State.ExitCode})` : c.State.Status,
        health: c.State.Health?.Status ?? "none",
        image: c.Config.Image,
    });
    // Swarm labels every task's container with its service's container labels (frappe.stack included) and
    // its own com.docker.swarm.task.id (moby daemon/cluster/executor/container/container.go, labels): those
    // are the services' tasks, not jobs.
    const rows = inspected.filter((c) => c.Config.Labels?.[SWARM_TASK_LABEL] === undefined).map(row);
    const processes = rows.filter((r) => managed.includes(r.name));
    for (const name of managed) {
        if (!processes.some((p) => p.name === name)) {
            const role = name.replace(`frappe-${stack}-`, "").replace(/-\d+$/, "");
            processes.push({ role, name, state: "missing", health: "-", image: "-" });
        }
    }
    const order = (r: ProcessRow) => managed.indexOf(r.name);
    return {
        processes: processes.sort((a, b) => order(a) - order(b)),
        kept: rows.filter((r) => !managed.includes(r.name)),
    };
}

export interface ServiceLine {
    Name: string;
    Replicas: string;
}

/** What `docker service inspect` says of a service that status reads. */
export interface ServiceInspected {
    readonly Spec: { Name: string; TaskTemplate: { ContainerSpec?: { Image?: string } } };
    readonly UpdateStatus?: { State?: string };
}

/** A task that should run (`docker service ps --filter desired-state=running`): its name, image and state. */
export interface TaskLine {
    readonly Name: string;
    readonly Image: string;
    readonly CurrentState: string;
}

/**
 * One row per service: the running and wanted replicas as Swarm counts them (`docker service ls`), the
 * image its spec names in full (service ls drops a digest), the state of its last update and the images
 * its running tasks run (two while an update is paused halfway).
 */
export function swarmRows(
    stack: string,
    lines: readonly ServiceLine[],
    inspected: readonly ServiceInspected[],
    tasks: readonly TaskLine[],
): ProcessRow[] {
    return lines.map((s) => {
        const spec = inspected.find((i) => i.Spec.Name === s.Name);
        const [running, wanted] = s.Replicas.split(/[/ ]/).map(Number);
        // `service ps` names a task <service>.<slot>, an older one of the same slot indented with " \_ ".
        const own = tasks.filter((t) => t.Name.replace(/^[\s\\_]+/, "").startsWith(`${s.Name}.`));
        const images = [...new Set(own.filter((t) => t.CurrentState.startsWith("Running")).map((t) => t.Image))];
        const update = spec?.UpdateStatus?.State;
        // A task with a healthcheck is reported running only once healthy (moby's container controller).
        const short = update === "paused" || update === "rollback_paused" ? "degraded" : "converging";
        return {
            role: s.Name.replace(`frappe-${stack}-`, ""),
            name: s.Name,
            state: `${s.Replicas} running`,
            health: running >= wanted ? "healthy" : short,
            image: spec?.Spec.TaskTemplate.ContainerSpec?.Image ?? "?",
            update: update ?? "-",
            runningImages: images.sort(),
        };
    });
}

function serviceRows(stack: string, env: NodeJS.ProcessEnv): ProcessRow[] {
    const listed = run(
        "docker",
        ["service", "ls", "--filter", `label=frappe.stack=${stack}`, "--format", "{{json .}}"],
        env,
    );
    if (listed.status !== 0) throw new Error(`cannot list the services of ${stack}: ${listed.stderr.trim()}`);
    const lines = listed.stdout
        .split("\n")
        .filter(Boolean)
        .map((l) => JSON.parse(l) as ServiceLine);
    if (lines.length === 0) return [];
    const names = lines.map((l) => l.Name);
    const inspected = run("docker", ["service", "inspect", ...names], env);
    const ps = run(
        "docker",
        ["service", "ps", "--no-trunc", "--filter", "desired-state=running", "--format", "{{json .}}", ...names],
        env,
    );
    for (const r of [inspected, ps]) {
        if (r.status !== 0) throw new Error(`cannot inspect the services of ${stack}: ${r.stderr.trim()}`);
    }
    const tasks = ps.stdout
        .split("\n")
        .filter(Boolean)
        .map((l) => JSON.parse(l) as TaskLine);
    return swarmRows(stack, lines, JSON.parse(inspected.stdout) as ServiceInspected[], tasks);
}

/** What the short-lived container prints: one tab-separated record per line. */
export const SITES_SCRIPT = [
    "cd /sites || exit 1",
    'for d in */; do s=${d%/}; [ -f "$s/site_config.json" ] || continue',
    ` m=$(grep -o '"maintenance_mode": *[0-9]*' "$s/site_config.json" | grep -o '[0-9]*$')`,
    ' b=$(ls -1t ".backups/$s"/*-database*.sql.gz 2>/dev/null | head -n 1); t=""',
    ' [ -n "$b" ] && t=$(stat -c %Y "$b")',
    ' printf "site\\t%s\\t%s\\t%s\\t%s\\n" "$s" "${m:-0}" "${b##*/}" "$t"',
    "done",
    'for f in .backups/.status/*.json; do [ -f "$f" ] && printf "status\\t%s\\t%s\\n" "${f##*/}" "$(tr -d "\\n" < "$f")"; done',
    'printf "now\\t%s\\n" "$(date +%s)"',
].join("\n");

interface StatusFile {
    readonly finished?: string;
    readonly ok?: boolean;
    readonly error?: string | null;
}

export interface SiteRow {
    readonly site: string;
    readonly apps: string[];
    readonly configured: boolean;
    readonly onVolume: boolean;
    readonly maintenance: boolean;
    readonly backupAgeSeconds?: number;
    readonly backupFile?: string;
    readonly offsite?: { ageSeconds?: number; ok?: boolean; error?: string | null };
    readonly drill?: { ageSeconds?: number; ok?: boolean; error?: string | null };
}

/** The sites volume as the short-lived container saw it, joined with the configured sites. */
export function parseSites(text: string, siteApps: Record<string, string[]>): SiteRow[] {
    const lines = text.split("\n").map((l) => l.split("\t"));
    const now = Number(lines.find((l) => l[0] === "now")?.[1] ?? Math.floor(Date.now() / 1000));
    const files = new Map(lines.filter((l) => l[0] === "status").map((l) => [l[1], l[2]]));
    const status = (file: string) => {
        const raw = files.get(file);
        if (raw === undefined) return undefined;
        const s = JSON.parse(raw) as StatusFile;
        const at = s.finished === undefined ? NaN : Date.parse(s.finished) / 1000;
        return { ageSeconds: Number.isNaN(at) ? undefined : Math.max(0, now - at), ok: s.ok, error: s.error };
    };
    const seen = new Map(lines.filter((l) => l[0] === "site").map((l) => [l[1], l]));
    const names = [...new Set([...Object.keys(siteApps), ...seen.keys()])];
    return names.map((site) => {
        const l = seen.get(site);
        const mtime = l?.[4] ? Number(l[4]) : undefined;
        return {
            site,
            apps: siteApps[site] ?? [],
            configured: site in siteApps,
            onVolume: l !== undefined,
            maintenance: l !== undefined && l[2] !== "0",
            backupFile: l?.[3] || undefined,
            backupAgeSeconds: mtime === undefined ? undefined : Math.max(0, now - mtime),
            offsite: status("offsite.json"),
            drill: status(`drill-${site}.json`),
        };
    });
}

interface MountSpec {
    Type: string;
    Source: string;
    Target: string;
    VolumeOptions?: { DriverConfig?: { Name?: string; Options?: Record<string, string> } };
}

/** `docker run` mount of the sites volume: by name on one host; on Swarm with the backend service's driver options. */
function sitesMount(stack: string, out: StackOutputs, env: NodeJS.ProcessEnv): string[] {
    if (out.orchestrator === "swarm") {
        const r = run(
            "docker",
            [
                "service",
                "inspect",
                `frappe-${stack}-backend`,
                "--format",
                "{{json .Spec.TaskTemplate.ContainerSpec.Mounts}}",
            ],
            env,
        );
        const mounts = r.status === 0 ? (JSON.parse(r.stdout) as MountSpec[]) : [];
        const m = mounts.find((x) => x.Target === SITES_DIR);
        if (m !== undefined && m.VolumeOptions?.DriverConfig?.Name !== undefined) {
            const d = m.VolumeOptions.DriverConfig;
            return [
                "--mount",
                mountWithDriver(m.Source, "/sites", true, { driver: d.Name ?? "local", options: d.Options ?? {} }),
            ];
        }
    }
    const volume = out.volumeNames?.sites ?? `frappe-${stack}-sites`;
    return ["--volume", `${volume}:/sites:ro`];
}

function readSites(stack: string, out: StackOutputs, env: NodeJS.ProcessEnv): { text: string; error?: string } {
    if (out.imageRef === undefined) return { text: "", error: "the stack has no imageRef output (deployed yet?)" };
    const r = run(
        "docker",
        ["run", "--rm", "--network", "none", "--label", `frappe.status-of=${stack}`, ...sitesMount(stack, out, env),
         "--entrypoint", "sh", out.imageRef, "-c", SITES_SCRIPT], // prettier-ignore
        env,
    );
    return r.status === 0 ? { text: r.stdout } : { text: r.stdout, error: r.stderr.trim() || `exit ${r.status}` };
}

export interface StackStatus {
    readonly stack: string;
    readonly dockerHost: string;
    readonly orchestrator: "docker" | "swarm";
    readonly image?: string;
    readonly processes: ProcessRow[];
    readonly keptJobs: ProcessRow[];
    readonly sites: SiteRow[];
    readonly sitesError?: string;
}

export function stackStatus(stack: string): StackStatus {
    const out = readOutputs(stack);
    const env: NodeJS.ProcessEnv = { ...process.env };
    if (out.dockerHost !== undefined && out.dockerHost !== "") env.DOCKER_HOST = out.dockerHost;
    const orchestrator = out.orchestrator ?? "docker";
    const { processes, kept } =
        orchestrator === "swarm"
            ? { processes: serviceRows(stack, env), kept: containerRows(stack, [], env).kept }
            : containerRows(stack, out.containerNames ?? [], env);
    const sites = readSites(stack, out, env);
    return {
        stack,
        dockerHost: env.DOCKER_HOST ?? "the local Docker engine",
        orchestrator,
        image: out.imageRef,
        processes,
        keptJobs: kept,
        sites: parseSites(sites.text, out.siteApps ?? {}),
        sitesError: sites.error,
    };
}

export function age(seconds: number | undefined): string {
    if (seconds === undefined) return "never";
    if (seconds < 90) return `${Math.round(seconds)}s ago`;
    if (seconds < 90 * 60) return `${Math.round(seconds / 60)}m ago`;
    if (seconds < 36 * 3600) return `${Math.round(seconds / 3600)}h ago`;
    return `${Math.round(seconds / 86400)}d ago`;
}

function table(head: string[], rows: string[][]): string {
    const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
    return [head, ...rows]
        .map((r) =>
            r
                .map((c, i) => c.padEnd(widths[i]))
                .join("  ")
                .trimEnd(),
        )
        .join("\n");
}

const outcome = (s: { ageSeconds?: number; ok?: boolean; error?: string | null } | undefined) =>
    s === undefined
        ? "never"
        : `${age(s.ageSeconds)} (${s.ok === true ? "ok" : `FAILED${s.error ? `: ${s.error}` : ""}`})`;

/** The image a service's spec names, and any other its running tasks still run. */
function serviceImage(p: ProcessRow): string {
    const others = (p.runningImages ?? []).filter((i) => i !== p.image);
    return others.length === 0 ? p.image : `${p.image} (also running ${others.join(", ")})`;
}

export function formatStatus(s: StackStatus): string {
    const lines = [
        `Stack ${s.stack} on ${s.dockerHost}${s.orchestrator === "swarm" ? " (Swarm)" : ""}; image ${s.image ?? "unknown"}`,
        "",
        s.orchestrator === "swarm"
            ? table(
                  ["PROCESS", "SERVICE", "STATE", "HEALTH", "UPDATE", "IMAGE"],
                  s.processes.map((p) => [p.role, p.name, p.state, p.health, p.update ?? "-", serviceImage(p)]),
              )
            : table(
                  ["PROCESS", "CONTAINER", "STATE", "HEALTH", "IMAGE"],
                  s.processes.map((p) => [p.role, p.name, p.state, p.health, p.image]),
              ),
    ];
    if (s.keptJobs.length > 0) {
        lines.push(
            "",
            `Containers of jobs, kept for docker logs: ${s.keptJobs.map((j) => `${j.name} (${j.state})`).join(", ")}`,
        );
    }
    lines.push(
        "",
        table(
            ["SITE", "APPS", "MAINTENANCE", "LAST BACKUP", "LAST OFFSITE", "LAST RESTORE DRILL"],
            s.sites.map((x) => [
                x.site +
                    (x.configured ? "" : " (not in frappe:sites)") +
                    (x.onVolume || s.sitesError ? "" : " (not created)"),
                x.apps.join(", ") || "-",
                s.sitesError ? "?" : x.maintenance ? "ON" : "off",
                s.sitesError ? "?" : age(x.backupAgeSeconds),
                s.sitesError ? "?" : outcome(x.offsite),
                s.sitesError ? "?" : outcome(x.drill),
            ]),
        ),
    );
    if (s.sitesError) lines.push("", `The sites volume could not be read: ${s.sitesError}`);
    return lines.join("\n");
}

function main(): void {
    try {
        const options = parseStatusArgs(process.argv.slice(2));
        const status = stackStatus(options.stack);
        console.log(options.json ? JSON.stringify(status, null, 2) : formatStatus(status));
    } catch (e) {
        console.error(`status: ${e instanceof Error ? e.message : String(e)}`);
        process.exitCode = 1;
    }
}

if (require.main === module) {
    main();
}
