import * as pulumi from "@pulumi/pulumi";

/**
 * One problem found in the stack configuration (or in a file it points at, such as apps.json).
 * Every validator in the program reports problems in this shape so that they can be collected
 * and shown together, before any resource is registered.
 */
export interface ConfigIssue {
    /** Full key path as an operator would type it, e.g. `frappe:db.port` or `apps.json[2].branch`. */
    readonly key: string;
    /** The offending value as found (already redacted when it may hold a secret). */
    readonly value: unknown;
    /** What would have been accepted, in words. */
    readonly expected: string;
    /**
     * The whole explanation when "got X; expected Y" does not fit (an unknown key has no expected value):
     * the line then reads `` `key`: message ``.
     */
    readonly message?: string;
}

/**
 * How to set the secret `key` without its value on a command line (shell history, `ps`): given no value,
 * `pulumi config set --secret` asks for it without echoing it on a terminal and reads standard input
 * otherwise (pulumi/pulumi pkg/cmd/pulumi/config/config_set.go, `run`).
 */
export function setSecretHint(key: string): string {
    return `\`pulumi config set --secret ${key}\` (it asks for the value without echoing it, or reads it from stdin)`;
}

/**
 * Thrown when the configuration is invalid; lists every issue at once. A `RunError`, because that is
 * what Pulumi's Node runtime prints as the message alone: its uncaught-error handler
 * (@pulumi/pulumi cmd/run/run.js) logs `err.message` for a RunError, and for any other Error
 * "Running program '…' failed with an unhandled exception:" followed by util.inspect of the error
 * (the stack trace and every own property, here the whole `issues` array).
 */
export class ConfigError extends pulumi.RunError {
    constructor(public readonly issues: readonly ConfigIssue[]) {
        super(formatIssues(issues));
        this.name = "ConfigError";
    }
}

/** Renders a value for an error message without flooding it. */
function describeValue(value: unknown): string {
    if (value === undefined) {
        return "nothing (key missing)";
    }
    const text = JSON.stringify(value) ?? typeof value;
    return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}

export function formatIssues(issues: readonly ConfigIssue[]): string {
    const lines = issues.map((i) =>
        i.message !== undefined
            ? `  - \`${i.key}\`: ${i.message}`
            : `  - ${i.key}: got ${describeValue(i.value)}; expected ${i.expected}`,
    );
    return `Invalid stack configuration (${issues.length} problem${issues.length === 1 ? "" : "s"}); nothing was deployed:\n${lines.join("\n")}`;
}
