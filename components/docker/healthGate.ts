import { dockerName } from "../conventions/naming";
import { JobSpec } from "../bench/model/types";

/**
 * How one Docker host enforces a job's health gate: run-job.sh runs scripts/health-gate.sh before the
 * job's `docker run`, in the same step and against the same Docker host, when GATE_ROLES is set. The
 * gate finds the stack's containers by their frappe.stack and frappe.role labels and insists on the
 * named containers; a failing gate fails the step before the job's container starts.
 */
export function healthGateEnvironment(stack: string, spec: JobSpec): Record<string, string> {
    const gate = spec.healthGate;
    if (gate === undefined) {
        return {};
    }
    return {
        GATE_STACK: stack,
        GATE_ROLES: [...new Set(gate.roles)].join(" "),
        GATE_EXPECT: gate.processes.map((k) => dockerName(stack, k)).join(" "),
    };
}
