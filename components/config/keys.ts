import { distance } from "fastest-levenshtein";
import { z } from "zod";

/**
 * The key tree of a zod schema: which object keys exist at which path. Used to suggest the nearest
 * known key for a typo at any depth, and by the docs test to check every `frappe:` key the docs name.
 */

/** The schema that reads the value, looking through optional, default, prefault, nullable and pipe wrappers. */
function unwrapped(schema: z.core.$ZodType): z.core.$ZodType {
    if (
        schema instanceof z.ZodOptional ||
        schema instanceof z.ZodDefault ||
        schema instanceof z.ZodPrefault ||
        schema instanceof z.ZodNullable
    ) {
        return unwrapped(schema.unwrap());
    }
    if (schema instanceof z.ZodPipe) {
        return unwrapped(schema.in);
    }
    return schema;
}

/** The object shape a schema reads at this level, looking through wrappers and into list elements. */
function objectShape(schema: z.core.$ZodType): Record<string, z.core.$ZodType> | undefined {
    const inner = unwrapped(schema);
    if (inner instanceof z.ZodObject) {
        return inner.shape;
    }
    if (inner instanceof z.ZodArray) {
        return objectShape(inner.element);
    }
    return undefined;
}

/** Whether the schema reads an object or a list (a structured config value) rather than a scalar. */
export function isStructured(schema: z.core.$ZodType): boolean {
    const inner = unwrapped(schema);
    return inner instanceof z.ZodObject || inner instanceof z.ZodArray;
}

/** Keys the schema knows at `path` (list indices are skipped); `undefined` when nothing there is an object. */
export function knownKeysAt(root: z.core.$ZodType, path: readonly PropertyKey[]): string[] | undefined {
    let shape = objectShape(root);
    for (const part of path) {
        if (typeof part === "number") {
            continue; // an index into a list: objectShape already looked through the array
        }
        const child = shape?.[String(part)];
        shape = child === undefined ? undefined : objectShape(child);
    }
    return shape === undefined ? undefined : Object.keys(shape);
}

/** Every key path the schema accepts, dotted (`db.engine`, `workers.custom.queues`; list indices left out). */
export function allKeyPaths(root: z.core.$ZodType, prefix = ""): string[] {
    const shape = objectShape(root);
    if (shape === undefined) {
        return [];
    }
    return Object.entries(shape).flatMap(([key, child]) => {
        const here = prefix === "" ? key : `${prefix}.${key}`;
        return [here, ...allKeyPaths(child, here)];
    });
}

/**
 * The known key an unknown one most likely meant: same letters in another case, or the fewest edits
 * (Levenshtein, at most a third of the key's length and at least 2). `undefined` when nothing is close.
 */
export function nearestKey(unknown: string, known: readonly string[]): string | undefined {
    const lower = unknown.toLowerCase();
    const sameLetters = known.find((k) => k.toLowerCase() === lower);
    if (sameLetters !== undefined) {
        return sameLetters;
    }
    const limit = Math.max(2, Math.floor(unknown.length / 3));
    let best: { key: string; d: number } | undefined;
    for (const key of known) {
        const d = distance(lower, key.toLowerCase());
        if (d <= limit && (best === undefined || d < best.d)) {
            best = { key, d };
        }
    }
    return best?.key;
}
