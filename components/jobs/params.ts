import { JobParam, JobParams } from "../bench/model/types";

/**
 * A job's typed parameters as the strings its script reads from the environment (components/bench/
 * scripts/*.sh document each variable): a flag is 1 or 0, a number its decimal digits, a list its items
 * separated by spaces, a structure its JSON.
 */
export function paramText(value: JobParam): string {
    if (typeof value === "boolean") {
        return value ? "1" : "0";
    }
    if (typeof value === "number" || typeof value === "string") {
        return String(value);
    }
    if (isList(value)) {
        return value.join(" ");
    }
    return JSON.stringify(value);
}

function isList(value: JobParam): value is readonly string[] {
    return Array.isArray(value);
}

/** Every parameter of a job, as environment variables. */
export function paramEnv(params: JobParams): Record<string, string> {
    return Object.fromEntries(Object.entries(params).map(([k, v]) => [k, paramText(v)]));
}
