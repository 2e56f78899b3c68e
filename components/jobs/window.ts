/**
 * How long the sites were closed, as maintenance-off reports it (scripts/maintenance-off.sh) in one
 * line of its output: `frappe-window: start=<ISO-8601 UTC> end=<ISO-8601 UTC> seconds=<n>`. The job's
 * output is a Pulumi secret as a whole; only what matches this line exactly is taken from it, so the
 * window is made of two timestamps and a number and nothing else of the output.
 */

export interface MaintenanceWindow {
    /** When the first job of the window closed the sites (ISO-8601, UTC). */
    readonly start: string;
    /** When maintenance-off reopened them. */
    readonly end: string;
    readonly seconds: number;
}

const WINDOW_LINE =
    /^frappe-window: start=(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ) end=(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ) seconds=(\d{1,9})$/;

/** The window the last line of that form reports, or undefined when the job closed no window (no sites yet). */
export function maintenanceWindow(stdout: string): MaintenanceWindow | undefined {
    const found = stdout
        .split("\n")
        .map((line) => WINDOW_LINE.exec(line))
        .filter((m) => m !== null)
        .pop();
    return found === undefined ? undefined : { start: found[1], end: found[2], seconds: Number(found[3]) };
}
