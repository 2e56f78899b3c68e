import { StackConfig } from "../../config/load";
import { appServices, backupCronService } from "./appProcesses";
import { dataServices } from "./dataServices";
import { appHealthGate } from "./healthGate";
import { configuratorJob, maintenanceOffJob, upgradeJobs } from "./jobSteps";
import { BenchModel, ProcessModel, VOLUME_KEYS } from "./types";
import { endpoints } from "./processes";
import { frontendService, proxyServices } from "./proxy";

/**
 * The whole bench as data, in dependency order:
 * db, redis → configurator → backup → maintenance on (→ restore) → migrate → sites → clear cache
 * → backend, websocket, workers, scheduler → frontend → proxy; maintenance off once all are up;
 * then the backup scheduler. Each role's decisions live in its own module: dataServices,
 * jobSteps, appProcesses and workers, proxy.
 */
export function buildBenchModel(c: StackConfig): BenchModel {
    const e = endpoints(c);
    const data = dataServices(c);
    const jobs = upgradeJobs(c, e);
    const apps = appServices(c, e, [jobs[jobs.length - 1].key]);
    const frontend = frontendService(c);
    const processes: ProcessModel[] = [
        ...data,
        configuratorJob(
            c,
            e,
            data.map((d) => d.key),
        ),
        ...jobs,
        ...apps,
        frontend,
        ...proxyServices(c),
        // Reopens the sites only while every app process is healthy: the gate runs first, in the same step.
        {
            ...maintenanceOffJob(c, e, apps.map((s) => s.key).concat(["frontend"])),
            healthGate: appHealthGate([...apps, frontend]),
        },
        backupCronService(c, ["maintenance-off"]),
    ];
    // Every volume exists whatever the options: switching HTTPS off or the database to external must
    // not make Pulumi try to delete a protected volume (and its data must stay for a way back).
    return { processes, volumes: [...VOLUME_KEYS] };
}
