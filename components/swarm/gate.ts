import { SwarmConfig } from "../config/swarmSchema";
import { dockerName } from "../conventions/naming";
import { BenchModel, JobSpec } from "../bench/model/types";
import { convergeSeconds, roleSettings } from "./plan";

/**
 * How Swarm enforces a job's health gate: run-job.sh runs scripts/swarm-gate.sh (GATE_SCRIPT) before
 * the job's `docker run`, in the same step and against the same manager. The gate finds the stack's
 * app services by their frappe.stack and frappe.role labels and insists on the named ones; it passes
 * once every one of them has finished its rollout (no update in progress, paused or rolled back; at least as many
 * running tasks as replicas, each on the current spec and the image of this deploy) and fails at once
 * when one never will. It waits for a rollout in progress as long as the slowest app service may take
 * to converge, since the provider's own wait may have returned before the rollout finished.
 */
export function swarmGateEnvironment(
    stack: string,
    spec: JobSpec,
    model: BenchModel,
    swarm: SwarmConfig,
): Record<string, string> {
    const gate = spec.healthGate;
    if (gate === undefined) {
        return {};
    }
    const gated = model.processes.filter((p) => p.kind === "service" && gate.roles.includes(p.role));
    const longest = Math.max(
        0,
        ...gated.map((p) => (p.kind === "service" ? convergeSeconds(p, roleSettings(p, swarm).replicas, swarm) : 0)),
    );
    return {
        GATE_SCRIPT: "swarm-gate.sh",
        GATE_STACK: stack,
        GATE_ROLES: [...new Set(gate.roles)].join(" "),
        GATE_EXPECT: gate.processes.map((k) => dockerName(stack, k)).join(" "),
        GATE_TIMEOUT: String(longest),
    };
}
