/** Roles a container can have; operators filter `docker ps --filter label=frappe.role=...` by them. */
export type ContainerRole =
    | "configurator"
    | "backend"
    | "frontend"
    | "websocket"
    | "queue-short"
    | "queue-long"
    | "queue-custom"
    | "scheduler"
    | "db"
    | "redis-cache"
    | "redis-queue"
    | "proxy"
    | "create-site"
    | "migrate"
    | "backup"
    | "maintenance-on"
    | "maintenance-off"
    | "clear-cache"
    | "restore"
    | "drill-account"
    | "backup-cron"
    | "preflight";

/** Roles that hold the stack's data and speak password-only (database) or unauthenticated (Redis) protocols. */
export const DATASTORE_ROLES: readonly ContainerRole[] = ["db", "redis-cache", "redis-queue"];

export const STACK_LABEL = "frappe.stack";
export const ROLE_LABEL = "frappe.role";

/**
 * Prefix of every Docker object name (network, volume, container) of a stack, so that staging and
 * production can share one Docker host without colliding: `frappe-staging-backend`.
 */
export function dockerPrefix(stack: string): string {
    // Pulumi stack names ([A-Za-z0-9_.-]) are valid in Docker names as they are, so they map one to
    // one (Staging and staging stay apart); anything else is made valid.
    const safe = stack.replace(/[^A-Za-z0-9_.-]+/g, "-");
    return `frappe-${safe || "stack"}`;
}

export function dockerName(stack: string, suffix: string): string {
    return `${dockerPrefix(stack)}-${suffix}`;
}

/** Labels in the shape `@pulumi/docker` wants (a set of label/value pairs, not a map). */
export function standardLabels(
    stack: string,
    role: ContainerRole,
    extra: Readonly<Record<string, string>> = {},
): { label: string; value: string }[] {
    const all: Record<string, string> = { [STACK_LABEL]: stack, [ROLE_LABEL]: role, ...extra };
    return Object.keys(all)
        .sort()
        .map((label) => ({ label, value: all[label] }));
}
