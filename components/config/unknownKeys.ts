import { ConfigIssue } from "./issues";
import { knownKeysAt, nearestKey } from "./keys";
import { SECRET_KEYS, stackSchema, STRUCTURED_KEYS } from "./schema";

/** The Pulumi config namespace of this project (`frappe:<key>`). */
export const PROJECT = "frappe";

/** A path inside the stack config as an operator types it: `frappe:db.port`, `frappe:sites[0].name`. */
export function keyPath(parts: readonly PropertyKey[]): string {
    let out = `${PROJECT}:`;
    parts.forEach((p, i) => {
        if (typeof p === "number") {
            out += `[${p}]`;
        } else {
            out += i === 0 ? String(p) : `.${String(p)}`;
        }
    });
    return out;
}

/** Keys known at a path; the top level also has the secret keys. */
function knownAt(parent: readonly PropertyKey[]): string[] {
    const known = knownKeysAt(stackSchema, parent) ?? [];
    return parent.length === 0 ? [...known, ...SECRET_KEYS] : known;
}

/**
 * `pulumi config set workers.short 2` (without `--path`) stores one flat key named `workers.short`.
 * When the part before the first `.` or `[` is (nearly) a structured key, say how to set the nested value.
 */
function flatDottedKeyMessage(key: string): string | undefined {
    const m = /^([^.[]+)([.[].*)$/.exec(key);
    if (!m) {
        return undefined;
    }
    const head = nearestKey(m[1], [...STRUCTURED_KEYS]);
    if (head === undefined) {
        return undefined;
    }
    const nested = `${head}${m[2]}`;
    return (
        `no such key; \`pulumi config set\` stored \`${key}\` as one flat name. Nested values are set with ` +
        `--path: run \`pulumi config rm ${key}\`, then \`pulumi config set --path '${nested}' <value>\``
    );
}

/**
 * The issue for a key the schema does not know, at any depth: the nearest known key when one is close,
 * otherwise the keys that exist there. `path` ends with the unknown key.
 */
export function unknownKeyIssue(path: readonly PropertyKey[], value: unknown): ConfigIssue {
    const parent = path.slice(0, -1);
    const name = String(path[path.length - 1]);
    const known = knownAt(parent);
    const dotted = parent.length === 0 ? flatDottedKeyMessage(name) : undefined;
    const suggestion = nearestKey(name, known);
    const message =
        dotted ??
        (suggestion !== undefined
            ? `no such key; did you mean \`${keyPath([...parent, suggestion])}\`?`
            : `no such key; the keys here are ${known.join(", ")}`);
    return { key: keyPath(path), value, expected: message, message };
}
