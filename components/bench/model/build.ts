import { StackConfig } from "../../config/load";
import { appServices, backupCronService } from "./appProcesses";
import { drillAccount, drillSchedule } from "./backupCron";
import { dataServices } from "./dataServices";
import { appHealthGate } from "./healthGate";
import { configuratorJob, dbUpgradeJob, drillAccountJob, maintenanceOffJob, sitesJob, upgradeJobs } from "./jobSteps";
import { BenchModel, JobSpec, ProcessModel, VOLUME_KEYS } from "./types";
import { endpoints } from "./processes";
import { frontendService, proxyServices, routing } from "./proxy";
import { placeOnNetworks, stackNetworks } from "./networks";

/**
 * The whole bench as data, in dependency order:
 * (database guard →) db, redis → configurator → maintenance on → backup (→ restore) → migrate
 * → clear cache → backend, websocket, workers, scheduler → frontend → proxy; maintenance off once all
 * are healthy; then the sites job, the restore-drill account (when drills run) and the backup scheduler. Each role's decisions live in its own
 * module: dataServices, jobSteps, appProcesses and workers, proxy.
 */
export function buildBenchModel(c: StackConfig): BenchModel {
    const e = endpoints(c);
    const guard = dbUpgradeJob(c, e);
    const data = dataServices(c, guard);
    const configurator = configuratorJob(c, e, data);
    const jobs = upgradeJobs(c, e, configurator);
    const apps = appServices(c, e, { after: [jobs[jobs.length - 1]], configurator });
    const frontend = frontendService(
        c,
        apps.filter((s) => s.role === "backend" || s.role === "websocket"),
    );
    const proxy = proxyServices(c, frontend);
    const maintenanceOff = {
        ...maintenanceOffJob(c, e, [...apps, frontend], guard),
        // Reopens the sites only while every app process is healthy.
        healthGate: appHealthGate([...apps, frontend]),
    };
    const schedule = drillSchedule(c);
    const drill = schedule === undefined ? undefined : { schedule, user: drillAccount(c.stack) };
    const account = drill === undefined ? [] : [drillAccountJob(c, e, drill, [maintenanceOff])];
    const processes: ProcessModel[] = [
        ...(guard === undefined ? [] : [guard]),
        ...data,
        configurator,
        ...jobs,
        ...apps,
        frontend,
        ...proxy,
        maintenanceOff,
        sitesJob(c, e, maintenanceOff),
        ...account,
        backupCronService(c, account.length > 0 ? account : [maintenanceOff], drill),
    ];
    checkReferences(processes);
    const networks = stackNetworks(processes);
    // Every volume exists whatever the options: switching HTTPS off or the database to external must
    // not make Pulumi try to delete a protected volume (and its data must stay for a way back).
    return {
        processes: placeOnNetworks(processes, networks),
        networks,
        volumes: [...VOLUME_KEYS],
        routing: routing(c, proxy[0], frontend),
    };
}

/**
 * Every reference between processes names one defined before it (a job, for `restartAfter`), and every
 * key is unique: the renderers wire processes in model order and rely on it.
 */
export function checkReferences(processes: readonly ProcessModel[]): void {
    const before = new Map<string, ProcessModel>();
    const refuse = (p: ProcessModel, what: string, key: string, expected: string) => {
        throw new Error(`bench model: ${p.key} ${what} ${key}, which is not ${expected} defined before it`);
    };
    for (const p of processes) {
        if (before.has(p.key)) {
            throw new Error(`bench model: two processes are keyed ${p.key}`);
        }
        p.after.filter((k) => !before.has(k)).forEach((k) => refuse(p, "comes after", k, "a process"));
        if (p.kind === "service" && p.restartAfter !== undefined && before.get(p.restartAfter)?.kind !== "job") {
            refuse(p, "restarts after", p.restartAfter, "a job");
        }
        if (p.kind === "job") {
            p.healthGate?.processes
                .filter((k) => !before.has(k))
                .forEach((k) => refuse(p, "waits for the health of", k, "a process"));
            p.rerunAfter
                .filter((k) => before.get(k)?.kind !== "job")
                .forEach((k) => refuse(p, "runs again after", k, "a job"));
            // Processes as they run when the job starts: they may come later in the order.
            for (const [what, key] of runningReferences(p)) {
                if (!processes.some((q) => q.kind === "service" && q.key === key)) {
                    throw new Error(`bench model: ${p.key} ${what} ${key}, which is not a service of the bench`);
                }
            }
        }
        before.set(p.key, p);
    }
}

/** The running processes a job refers to: whose image it runs, which database server it guards. */
function runningReferences(job: JobSpec): [string, string][] {
    const refs: [string, string][] = [];
    if (job.image.kind === "running") {
        refs.push(["runs the image of", job.image.process]);
    }
    if (job.guardsServer !== undefined) {
        refs.push(["guards", job.guardsServer.process]);
    }
    return refs;
}
