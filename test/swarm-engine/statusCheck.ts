import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { isDeepStrictEqual } from "util";
import type { StackStatus } from "../../scripts/status";
import { ProgramRun } from "../harness";
import { StatusCommand } from "../statusCommand";
import { Cluster } from "./cluster";
import { maintenance, runningTasks, service } from "./probes";
import { SECRETS, services, sharedSites, SITES, STACK } from "./scenario";

/**
 * `npm run status` on the tier's swarm (docs/status.md): the stand-in pulumi holds the outputs of the
 * stack's own program run (`dockerHost` is the manager's socket), the real Docker CLI does the rest. What it
 * reports is compared with what the manager's Engine API and the shared sites directory hold.
 */

/** A service as the engine has it, in the terms status reports it. */
interface Seen {
    readonly state: string;
    readonly image: string;
    readonly update: string;
    readonly runningImages: string[];
}

async function engineView(cluster: Cluster, names: readonly string[]): Promise<Map<string, Seen>> {
    const seen = new Map<string, Seen>();
    for (const name of names) {
        const inspected = await service(cluster, name);
        const spec = inspected.Spec as { TaskTemplate: { ContainerSpec: { Image: string } } };
        const running = (await runningTasks(cluster, name)).filter((t) => t.Status.State === "running");
        seen.set(name, {
            state: `${running.length}/${inspected.Spec.Mode?.Replicated?.Replicas ?? 1} running`,
            image: spec.TaskTemplate.ContainerSpec.Image,
            update: inspected.UpdateStatus?.State ?? "-",
            runningImages: [...new Set(running.map((t) => t.Spec.ContainerSpec.Image))].sort(),
        });
    }
    return seen;
}

/** Containers with the stack's label on the manager, split into the services' tasks and the rest. */
function managerContainers(cluster: Cluster): { tasks: string[]; others: string[] } {
    const listed = cluster.dockerOk(1, [
        "ps", "-a", "--filter", `label=frappe.stack=${STACK}`,
        "--format", '{{.Names}}\t{{.Label "com.docker.swarm.task.id"}}',
    ]); // prettier-ignore
    const rows = listed
        .split("\n")
        .filter(Boolean)
        .map((l) => l.split("\t"));
    return {
        tasks: rows.filter((r) => r[1] !== "").map((r) => r[0]),
        others: rows.filter((r) => r[1] === "").map((r) => r[0]),
    };
}

/** The newest database backup of a site on the shared directory, as backup.sh names them. */
function newestBackup(sitesDir: string, site: string): string | undefined {
    const dir = path.join(sitesDir, ".backups", site);
    if (!fs.existsSync(dir)) return undefined;
    return fs
        .readdirSync(dir)
        .filter((f) => /-database.*\.sql\.gz$/.test(f))
        .map((f) => ({ f, t: fs.statSync(path.join(dir, f)).mtimeMs }))
        .sort((a, b) => b.t - a.t)[0]?.f;
}

/**
 * Runs status (`--json`, then the table) and checks it against the swarm: every service of the run with
 * its running/wanted replicas, spec image, update state and the images its running tasks run (read from
 * the engine before and after, so a task restarting meanwhile is either), the jobs' kept containers
 * (no task container among them), each site's maintenance mode and newest backup from the shared
 * directory, no secret printed, the reader container gone. Returns the table.
 */
export async function checkStatus(cluster: Cluster, run: ProgramRun): Promise<{ table: string; status: StackStatus }> {
    const command = new StatusCommand(STACK, run.outputs);
    try {
        const names = services(run).map((r) => String(r.inputs.name));
        const before = await engineView(cluster, names);
        // DOCKER_HOST of the caller is ignored: status goes where the stack's dockerHost output says.
        const json = command.run(["--stack", STACK, "--json"], { DOCKER_HOST: "unix:///nonexistent.sock" });
        const table = command.run(["--stack", STACK], { DOCKER_HOST: "unix:///nonexistent.sock" });
        const after = await engineView(cluster, names);
        assert.equal(json.status, 0, json.stderr);
        assert.equal(table.status, 0, table.stderr);
        const status = JSON.parse(json.stdout) as StackStatus;

        assert.equal(status.orchestrator, "swarm");
        assert.equal(status.dockerHost, cluster.host(1));
        assert.equal(status.image, run.outputs.imageRef.value);
        assert.deepEqual(status.processes.map((p) => p.name).sort(), [...names].sort(), "one row per service");
        for (const p of status.processes) {
            const reported: Seen = {
                state: p.state,
                image: p.image,
                update: p.update ?? "?",
                runningImages: p.runningImages ?? [],
            };
            const options = [before.get(p.name), after.get(p.name)];
            assert.ok(
                options.some((o) => isDeepStrictEqual(o, reported)),
                `${p.name}: status says ${JSON.stringify(reported)}, the swarm ${JSON.stringify(options)}`,
            );
            assert.equal(p.role, p.name.replace(`frappe-${STACK}-`, ""));
            // The table ran a moment later: its row is the engine's before or after view too.
            const cells = (table.stdout.split("\n").find((l) => l.split(/\s+/)[1] === p.name) ?? "").split(/ {2,}/);
            assert.ok(
                cells[0] === p.role &&
                    options.some(
                        (o) => o?.state === cells[2] && o.update === cells[4] && (cells[5] ?? "").startsWith(o.image),
                    ),
                `${p.name}: the table says ${JSON.stringify(cells)}, the swarm ${JSON.stringify(options)}`,
            );
        }

        const { tasks, others } = managerContainers(cluster);
        assert.ok(tasks.length > 0, "the manager runs tasks of the stack (db, Redis, the proxy)");
        assert.deepEqual(status.keptJobs.map((j) => j.name).sort(), others.sort(), "kept jobs: no task container");

        const sitesDir = sharedSites(cluster);
        const modes = maintenance(sitesDir, SITES);
        assert.equal(status.sitesError, undefined);
        const siteApps = run.outputs.siteApps.value as Record<string, string[]>;
        for (const site of SITES) {
            const row = status.sites.find((s) => s.site === site);
            assert.ok(row !== undefined, site);
            assert.deepEqual(
                [row.configured, row.onVolume, row.maintenance, row.apps, row.backupFile],
                [true, true, modes[site] === 1, siteApps[site], newestBackup(sitesDir, site)],
                site,
            );
            const line = table.stdout.split("\n").find((l) => l.startsWith(`${site} `)) ?? "";
            assert.match(
                line,
                new RegExp(`^${site.replace(/\./g, "\\.")}\\s+\\S.*\\s${modes[site] === 1 ? "ON" : "off"}\\s`),
            );
        }

        const printed = json.stdout + json.stderr + table.stdout + table.stderr;
        for (const site of SITES) {
            const config = JSON.parse(fs.readFileSync(path.join(sitesDir, site, "site_config.json"), "utf8")) as {
                db_password?: string;
            };
            assert.ok(config.db_password, `${site} has a database password`);
            assert.ok(!printed.includes(config.db_password), `${site}'s database password printed`);
        }
        for (const [k, v] of Object.entries(SECRETS)) {
            assert.ok(!printed.includes(v), `${k} printed`);
        }
        assert.doesNotMatch(printed, /db_password/);
        assert.equal(
            cluster.dockerOk(1, ["ps", "-a", "--filter", `label=frappe.status-of=${STACK}`, "-q"]),
            "",
            "the sites reader container is gone",
        );
        return { table: table.stdout, status };
    } finally {
        command.dispose();
    }
}
