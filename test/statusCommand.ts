import { spawnSync, SpawnSyncReturns } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { REPO_ROOT, ResolvedOutput } from "./harness";

/**
 * `npm run status` (scripts/status.ts) as an operator runs it, against a real Docker engine or swarm, with
 * only the stack outputs coming from the stand-in pulumi of test/fakehost (`pulumi stack output --json`).
 */
export class StatusCommand {
    private readonly state = fs.mkdtempSync(path.join(os.tmpdir(), "status-state-"));
    /** PATH with the stand-in pulumi in front of the real docker, and where it keeps the stack. */
    readonly env: Record<string, string>;

    /** The stand-in pulumi holding `outputs` as the outputs of `stack` (a program run's, or plain values). */
    constructor(stack: string, outputs: Readonly<Record<string, ResolvedOutput>>) {
        fs.mkdirSync(path.join(this.state, "pulumi"));
        fs.writeFileSync(path.join(this.state, "pulumi", `${stack}.json`), JSON.stringify({ resources: [], outputs }));
        const bin = path.join(this.state, "bin");
        fs.mkdirSync(bin);
        const fake = path.join(REPO_ROOT, "test", "fakehost", "pulumi.mjs");
        fs.writeFileSync(path.join(bin, "pulumi"), `#!/bin/sh\nexec "${process.execPath}" "${fake}" "$@"\n`, {
            mode: 0o755,
        });
        this.env = { PATH: `${bin}:${process.env.PATH ?? ""}`, FAKEHOST_STATE: this.state };
    }

    /** Plain values as non-secret outputs. */
    static plain(stack: string, values: Readonly<Record<string, unknown>>): StatusCommand {
        return new StatusCommand(
            stack,
            Object.fromEntries(Object.entries(values).map(([k, value]) => [k, { value, secret: false }])),
        );
    }

    run(args: readonly string[], env: Readonly<Record<string, string>> = {}): SpawnSyncReturns<string> {
        return spawnSync(
            process.execPath,
            ["--require", "tsx", path.join(REPO_ROOT, "scripts", "status.ts"), ...args],
            { encoding: "utf8", timeout: 120_000, env: { ...process.env, ...this.env, ...env } },
        );
    }

    dispose(): void {
        fs.rmSync(this.state, { recursive: true, force: true });
    }
}
