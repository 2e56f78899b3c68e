import { CapturedResource, jobs, ProgramRun } from "./harness";

/**
 * What a deploy does, read from two mock runs of the whole program the way the engine and the
 * providers decide it: which jobs run, which resources change, and the longest chain of operations
 * the engine has to perform one after the other. The deploy-simulation tests and the graph benchmark
 * (scripts/bench-graph.ts) share it.
 */

/** A job's Pulumi name without the bench prefix: `frappe-bench-migrate` → `migrate`. */
export function keyOf(name: string): string {
    return name.replace(/^frappe-bench-/, "");
}

let deploys = 0;

/**
 * Which jobs a deploy runs, decided the way the command provider decides: a job runs when its inputs
 * differ from those of its last successful run, or when a trigger changed (a job before it ran).
 * pulumi-command v1.2.1 runs `create` again on any input change (provider/pkg/provider/local/
 * commandController.go, Update without an `update` command) and replaces on a `triggers` change
 * (provider/pkg/provider/common/inputs.go, replaceOnChanges). A failed job records nothing, and
 * nothing after it runs. Returns the jobs that ran and the new record.
 */
export function simulateDeploy(
    record: ReadonlyMap<string, string>,
    run: ProgramRun,
): { ran: string[]; failed?: string; record: Map<string, string> } {
    const deploy = ++deploys;
    const next = new Map(record);
    const ran = new Set<string>();
    for (const r of jobs(run)) {
        const key = keyOf(r.name);
        if (!r.registered) {
            return { ran: [...ran], failed: key, record: next };
        }
        // A trigger that is another job's run token has the value of that job's last run (a new one
        // when it ran in this deploy); the mock's tokens name the container (c0ffee<docker name>). A
        // job that had nothing to do prints the same token every time (skipped:<docker name>, run-job.sh).
        const triggers = ((r.inputs.triggers as string[] | undefined) ?? []).map((t) => {
            const job = /^c0ffeefrappe-[a-z]+-(.+)$/.exec(t);
            return job === null ? t : (next.get(`token:${job[1]}`) ?? t);
        });
        const inputs = JSON.stringify([r.inputs.create, r.inputs.environment, r.inputs.stdin, triggers]);
        if (record.get(key) !== inputs) {
            ran.add(key);
            next.set(key, inputs);
            next.set(`token:${key}`, `${key}#deploy${deploy}`);
        }
    }
    return { ran: [...ran], record: next };
}

/** Provider resources (not jobs) whose inputs differ between two runs: every such change is an operation. */
export function changedResources(a: ProgramRun, b: ProgramRun): string[] {
    const isJob = (r: CapturedResource) => r.type === "command:local:Command";
    const before = new Map(
        a.resources.filter((r) => r.custom && !isJob(r)).map((r) => [r.name, JSON.stringify(r.inputs)]),
    );
    return b.resources
        .filter((r) => r.custom && !isJob(r) && before.get(r.name) !== JSON.stringify(r.inputs))
        .map((r) => keyOf(r.name))
        .sort();
}

/**
 * The longest chain of operations along the graph's edges (`dependsOn`, and the resources whose
 * outputs are inputs): the engine cannot start a resource before everything it depends on is done, so
 * this many operations happen one after the other at least. Resources that are not operations
 * (unchanged) pass their dependencies through at no cost.
 */
export function criticalPath(run: ProgramRun, isOperation: (key: string) => boolean): string[] {
    const byName = new Map(run.resources.filter((r) => r.custom).map((r) => [r.name, r]));
    const memo = new Map<string, string[]>();
    const longest = (name: string): string[] => {
        const known = memo.get(name);
        if (known !== undefined) {
            return known;
        }
        let best: string[] = [];
        const r = byName.get(name);
        for (const dep of [...(r?.opts.dependsOn ?? []), ...(r?.opts.inputDependsOn ?? [])]) {
            const path = longest(dep);
            if (path.length > best.length) {
                best = path;
            }
        }
        const key = keyOf(name);
        const path = isOperation(key) ? [...best, key] : best;
        memo.set(name, path);
        return path;
    };
    let best: string[] = [];
    for (const name of byName.keys()) {
        const path = longest(name);
        if (path.length > best.length) {
            best = path;
        }
    }
    return best;
}

/** Everything a resource waits for, directly or not (Pulumi names). */
export function closure(run: ProgramRun, name: string, seen = new Set<string>()): Set<string> {
    const r = run.resources.find((x) => x.custom && x.name === name);
    for (const d of r?.opts.dependsOn ?? []) {
        if (!seen.has(d)) {
            seen.add(d);
            closure(run, d, seen);
        }
    }
    return seen;
}

/**
 * The jobs that run while the sites are closed, by the graph: maintenance-on (which closes them), every
 * job after it that maintenance-off waits for, and maintenance-off (which reopens them). Keys, in the
 * run's order.
 */
export function jobsInWindow(run: ProgramRun): string[] {
    const on = "frappe-bench-maintenance-on";
    const off = "frappe-bench-maintenance-off";
    const offWaitsFor = closure(run, off);
    return jobs(run)
        .filter((j) => j.name === on || j.name === off || (offWaitsFor.has(j.name) && closure(run, j.name).has(on)))
        .map((j) => keyOf(j.name));
}
