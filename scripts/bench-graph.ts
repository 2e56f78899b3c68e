/**
 * npm run bench:graph [-- --sites 1,10,100 --runs 5]
 *
 * What a deploy costs as the number of sites grows, measured on the registered graph: the whole
 * program runs under the test harness's mocks (test/harness.ts runProgram), and for each number of
 * sites this prints
 * - evaluation: wall time of one mock run of the whole program (every resource registered; the job
 *   commands return their run token without running), min and median over several runs after a warm-up;
 * - the critical path of a first deploy (every resource is an operation) and of a tag change (only the
 *   resources whose inputs changed and the jobs that run, as the command provider decides it: see
 *   test/deploySim.ts), as the longest chain of operations along dependsOn;
 * - the jobs inside the maintenance window (maintenance-on to maintenance-off) that a tag change runs;
 * - the resources a tag change changes.
 * Numbers, not a verdict: the README quotes them with the machine they came from.
 */
import * as os from "node:os";
import { parseArgs } from "node:util";
import { changedResources, criticalPath, jobsInWindow, simulateDeploy } from "../test/deploySim";
import { ProgramRun, runProgram } from "../test/harness";

const SECRETS = { dbPassword: "bench-db", adminPassword: "bench-admin" };
const FROM = "v15.88.1";
const TO = "v15.89.0";

function config(sites: number, tag: string): Record<string, unknown> {
    return {
        tag,
        sites: Array.from({ length: sites }, (_, i) => ({ name: `site${i + 1}.example.com`, apps: ["erpnext"] })),
    };
}

async function run(sites: number, tag: string): Promise<ProgramRun> {
    const r = await runProgram({
        stack: "staging",
        config: config(sites, tag),
        secrets: SECRETS,
        skipJobCommands: true,
    });
    if (r.error !== undefined) {
        throw r.error;
    }
    return r;
}

async function evaluationMs(sites: number, runs: number): Promise<number[]> {
    await run(sites, FROM); // warm-up: modules loaded, caches filled
    const times: number[] = [];
    for (let i = 0; i < runs; i++) {
        const start = process.hrtime.bigint();
        await run(sites, FROM);
        times.push(Number(process.hrtime.bigint() - start) / 1e6);
    }
    return times.sort((a, b) => a - b);
}

/** A path or list with runs of per-site entries folded: `site-site1.example.com … (10 sites)`. */
function fold(keys: readonly string[]): string {
    const out: string[] = [];
    for (let i = 0; i < keys.length;) {
        const m = /^(.*-)site\d+\.example\.com$/.exec(keys[i]);
        let j = i + 1;
        while (m !== null && j < keys.length && keys[j].startsWith(m[1]) && /site\d+\.example\.com$/.test(keys[j])) {
            j++;
        }
        out.push(m !== null && j - i > 2 ? `${keys[i]} … ${keys[j - 1]} (${j - i})` : keys.slice(i, j).join(" → "));
        i = j;
    }
    return out.join(" → ");
}

interface Measurement {
    readonly sites: number;
    readonly evalMs: number[];
    readonly firstPath: string[];
    readonly tagPath: string[];
    readonly tagWindow: string[];
    readonly tagChanged: string[];
}

async function measure(sites: number, runs: number): Promise<Measurement> {
    const evalMs = await evaluationMs(sites, runs);
    const before = await run(sites, FROM);
    const after = await run(sites, TO);
    const first = simulateDeploy(new Map(), before);
    const tag = simulateDeploy(first.record, after);
    const changed = new Set([...changedResources(before, after), ...tag.ran]);
    const window = new Set(jobsInWindow(after));
    return {
        sites,
        evalMs,
        firstPath: criticalPath(before, () => true),
        tagPath: criticalPath(after, (k) => changed.has(k)),
        tagWindow: tag.ran.filter((k) => window.has(k)),
        tagChanged: [...changed].sort(),
    };
}

function median(xs: readonly number[]): number {
    const m = Math.floor(xs.length / 2);
    return xs.length % 2 === 1 ? xs[m] : (xs[m - 1] + xs[m]) / 2;
}

function report(ms: readonly Measurement[], runs: number): void {
    const cpu = os.cpus();
    console.log(
        `machine: ${cpu[0]?.model ?? "unknown CPU"} × ${cpu.length}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ` +
            `${os.type()} ${os.release()}, Node ${process.versions.node}; tag change ${FROM} → ${TO}, ${runs} runs`,
    );
    const rows = [
        ["sites", "eval min ms", "eval median ms", "first deploy path", "tag change path", "window jobs", "changed"],
    ];
    for (const m of ms) {
        rows.push([
            String(m.sites),
            m.evalMs[0].toFixed(0),
            median(m.evalMs).toFixed(0),
            String(m.firstPath.length),
            String(m.tagPath.length),
            String(m.tagWindow.length),
            String(m.tagChanged.length),
        ]);
    }
    const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
    for (const r of rows) {
        console.log(r.map((cell, c) => cell.padStart(widths[c])).join("  "));
    }
    for (const m of ms) {
        console.log(`\n${m.sites} site(s)`);
        console.log(`  first deploy critical path: ${fold(m.firstPath)}`);
        console.log(`  tag change critical path:   ${fold(m.tagPath)}`);
        console.log(`  tag change, jobs in window: ${fold(m.tagWindow)}`);
        console.log(`  tag change, changed:        ${fold(m.tagChanged)}`);
    }
}

async function main(): Promise<void> {
    const { values } = parseArgs({
        options: { sites: { type: "string", default: "1,10,100" }, runs: { type: "string", default: "5" } },
    });
    const counts = values.sites.split(",").map(Number);
    const runs = Number(values.runs);
    if (counts.some((n) => !Number.isInteger(n) || n < 1) || !Number.isInteger(runs) || runs < 1) {
        throw new Error(`--sites takes whole numbers ≥ 1 separated by commas and --runs a whole number ≥ 1`);
    }
    const ms: Measurement[] = [];
    for (const n of counts) {
        ms.push(await measure(n, runs));
    }
    report(ms, runs);
}

main().catch((e: unknown) => {
    console.error(e instanceof Error ? e.message : String(e));
    process.exit(1);
});
