import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { AppEntry, readAppsFile, redactUrl, validateAppsJson } from "../image/appsJson";
import { buildSetupIssues, DEFAULT_APPS_FILE } from "./buildSchema";
import { ConfigError, ConfigIssue } from "./issues";
import {
    crossKeyProblems,
    PLAIN_KEYS,
    RawStackConfig,
    SECRET_KEYS,
    SecretKey,
    stackSchema,
    STRUCTURED_KEYS,
} from "./schema";
import { keyPath, PROJECT, unknownKeyIssue } from "./unknownKeys";

export { PROJECT };

/** The validated stack configuration every component receives. */
export interface StackConfig extends RawStackConfig {
    /** Pulumi stack name (`staging`, `production`, ...). */
    readonly stack: string;
    /** Validated apps.json entries when the stack builds its image; empty otherwise. */
    readonly buildApps: readonly AppEntry[];
    /** The Docker provider's `docker:host`; jobs run through the Docker CLI against the same host. */
    readonly dockerHost?: string;
    /** Which secret keys are set (their values stay Pulumi secrets, see StackSecrets). */
    readonly secretsSet: readonly SecretKey[];
}

/** Secrets as Pulumi secret Outputs; `undefined` when not configured (the program generates what it can). */
export type StackSecrets = Partial<Record<SecretKey, pulumi.Output<string>>>;

/** Where configuration comes from: the runtime's flat `frappe:key -> string` map, as Pulumi hands it over. */
export interface ConfigSource {
    readonly stack: string;
    readonly entries: Readonly<Record<string, string>>;
    readonly isSecret: (fullKey: string) => boolean;
    /** Directory relative paths in config (apps.json) are resolved against. */
    readonly projectRoot: string;
}

const REDACTED = "[secret]";

function valueAt(root: unknown, parts: readonly PropertyKey[]): unknown {
    let cur: unknown = root;
    for (const p of parts) {
        if (cur === null || typeof cur !== "object") {
            return undefined;
        }
        cur = (cur as Record<PropertyKey, unknown>)[p];
    }
    return cur;
}

function expectedFor(issue: z.core.$ZodIssue): string {
    switch (issue.code) {
        case "invalid_type":
            return issue.message.startsWith("Invalid input") ? `a value of type ${issue.expected}` : issue.message;
        case "invalid_value":
            return issue.message.startsWith("Invalid")
                ? `one of ${issue.values.map(String).join(", ")}`
                : issue.message;
        default:
            return issue.message;
    }
}

/** A value as an error message may show it: credentials in URLs (git tokens) are masked. */
function shown(value: unknown): unknown {
    return typeof value === "string" ? redactUrl(value) : value;
}

/** Turns zod's issues into ConfigIssues that name the full key, the bad value and what is expected. */
export function issuesFromZod(error: z.ZodError, raw: unknown): ConfigIssue[] {
    const out: ConfigIssue[] = [];
    for (const issue of error.issues) {
        if (issue.code === "unrecognized_keys") {
            for (const k of issue.keys) {
                out.push(unknownKeyIssue([...issue.path, k], shown(valueAt(raw, [...issue.path, k]))));
            }
            continue;
        }
        out.push({ key: keyPath(issue.path), value: shown(valueAt(raw, issue.path)), expected: expectedFor(issue) });
    }
    return out;
}

/** Each top-level key parsed alone; a key that fails is replaced by its default and reported as invalid. */
function parseKeyByKey(raw: Record<string, unknown>): { data: RawStackConfig; invalid: Set<string> } {
    const invalid = new Set<string>();
    const data: Record<string, unknown> = {};
    for (const [key, schema] of Object.entries(stackSchema.shape) as [string, z.ZodType][]) {
        const one = schema.safeParse(raw[key]);
        if (one.success) {
            data[key] = one.data;
        } else {
            invalid.add(key);
            data[key] = schema.safeParse(undefined).data;
        }
    }
    return { data: data as RawStackConfig, invalid };
}

/**
 * Validates the whole configuration without touching Pulumi's runtime, so it can be tested directly
 * and so that every problem is known before the first resource is registered.
 */
export function parseStackConfig(source: ConfigSource): { config?: StackConfig; issues: ConfigIssue[] } {
    const result = parseUnredacted(source);
    // A key stored as a secret (a misspelt dbPasword, a tag set with --secret) never shows its value.
    const secretPrefixes = Object.keys(source.entries).filter((k) => source.isSecret(k));
    const issues = result.issues.map((i) =>
        secretPrefixes.some((k) => i.key === k || i.key.startsWith(`${k}.`) || i.key.startsWith(`${k}[`))
            ? { ...i, value: REDACTED }
            : i,
    );
    return { config: result.config, issues };
}

function parseUnredacted(source: ConfigSource): { config?: StackConfig; issues: ConfigIssue[] } {
    const issues: ConfigIssue[] = [];
    const raw: Record<string, unknown> = {};
    const presentSecrets = new Set<SecretKey>();
    const prefix = `${PROJECT}:`;

    for (const [fullKey, text] of Object.entries(source.entries)) {
        if (!fullKey.startsWith(prefix)) {
            continue; // other namespaces (docker:host, ...) belong to their providers
        }
        const key = fullKey.slice(prefix.length);
        if ((SECRET_KEYS as readonly string[]).includes(key)) {
            if (!source.isSecret(fullKey)) {
                issues.push({
                    key: fullKey,
                    value: REDACTED,
                    expected: `a secret: run pulumi config set --secret ${key} <value> (it is stored in plain text now)`,
                });
            } else if (text !== "") {
                presentSecrets.add(key as SecretKey);
            }
            continue;
        }
        if (!PLAIN_KEYS.includes(key)) {
            issues.push(unknownKeyIssue([key], text));
            continue;
        }
        if (STRUCTURED_KEYS.has(key)) {
            try {
                raw[key] = JSON.parse(text) as unknown;
            } catch {
                issues.push({ key: fullKey, value: text, expected: "a structured value (YAML object or list)" });
            }
        } else {
            raw[key] = text;
        }
    }

    const parsed = stackSchema.safeParse(raw);
    const crossKey = (data: RawStackConfig, invalid: ReadonlySet<string>) => {
        for (const p of crossKeyProblems(data, source.stack, presentSecrets)) {
            if (p.involves.some((k) => invalid.has(k))) {
                continue; // the rule would judge a default standing in for a value already reported
            }
            issues.push({
                key: keyPath(p.path),
                value: (SECRET_KEYS as readonly PropertyKey[]).includes(p.path[0]) ? undefined : valueAt(data, p.path),
                expected: p.expected,
            });
        }
    };
    if (!parsed.success) {
        issues.push(...issuesFromZod(parsed.error, raw));
        // Still report the rules between keys that are valid on their own, so one run shows every problem.
        const { data, invalid } = parseKeyByKey(raw);
        crossKey(data, invalid);
        return { issues };
    }
    crossKey(parsed.data, new Set());

    let buildApps: AppEntry[] = [];
    const build = parsed.data.build;
    if (build) {
        if (build.apps !== undefined) {
            buildApps = build.apps; // validated by the build schema
        } else {
            const file = path.resolve(source.projectRoot, build.appsFile ?? DEFAULT_APPS_FILE);
            const read = readAppsFile(file, build.appsFile ?? DEFAULT_APPS_FILE);
            issues.push(...read.issues);
            if (read.raw !== undefined) {
                const checked = validateAppsJson(read.raw, build.appsFile ?? DEFAULT_APPS_FILE);
                issues.push(...checked.issues);
                buildApps = checked.apps;
            }
        }
        issues.push(
            ...buildSetupIssues({
                stack: source.stack,
                repository: parsed.data.image,
                apps: buildApps,
                registry: parsed.data.registry,
                registryPasswordSet: presentSecrets.has("registryPassword"),
                gitTokenSet: presentSecrets.has("gitToken"),
            }),
        );
    }

    if (issues.length > 0) {
        return { issues };
    }
    const dockerHost = source.entries["docker:host"];
    return {
        config: { ...parsed.data, stack: source.stack, buildApps, dockerHost, secretsSet: [...presentSecrets].sort() },
        issues,
    };
}

/** The runtime's config map, read the supported way: secrets stay Outputs, plain keys stay strings. */
export function runtimeConfigSource(projectRoot: string): ConfigSource {
    const runtime = pulumi.runtime as unknown as { isConfigSecret?: (k: string) => boolean };
    return {
        stack: pulumi.getStack(),
        entries: pulumi.runtime.allConfig(),
        isSecret: (k) => (runtime.isConfigSecret ? runtime.isConfigSecret(k) : true),
        projectRoot,
    };
}

/**
 * Loads and validates the stack configuration, throwing one `ConfigError` that lists every problem.
 * Secrets are read with `getSecret` only, so they never exist as plain strings in the program.
 */
export function loadStackConfig(projectRoot: string): { config: StackConfig; secrets: StackSecrets } {
    const { config, issues } = parseStackConfig(runtimeConfigSource(projectRoot));
    if (!config) {
        throw new ConfigError(issues);
    }
    const cfg = new pulumi.Config(PROJECT);
    const secrets: StackSecrets = {};
    for (const key of SECRET_KEYS) {
        const value = cfg.getSecret(key);
        if (value !== undefined) {
            secrets[key] = value;
        }
    }
    return { config, secrets };
}
