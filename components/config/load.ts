import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { AppEntry, appNameOf, loadApps, redactUrl } from "./appsJson";
import { BuildConfig, buildInputIssues, DEFAULT_APPS_FILE } from "./buildSchema";
import { ConfigError, ConfigIssue, setSecretHint } from "./issues";
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

/**
 * Where the bench's image comes from, one or the other: built from apps.json (the build derives its
 * tag and digest), or a pushed tag, pinned by a digest when one is set.
 */
export type ImageSource =
    | {
          readonly build: BuildConfig;
          /** Validated apps.json entries the build installs. */
          readonly buildApps: readonly AppEntry[];
          readonly tag?: never;
          readonly digest?: never;
      }
    | { readonly build?: never; readonly buildApps?: never; readonly tag: string; readonly digest?: string };

/** The validated stack configuration every component receives. */
export type StackConfig = Omit<RawStackConfig, "build" | "tag" | "digest"> &
    ImageSource & {
        /** Pulumi stack name (`staging`, `production`, ...). */
        readonly stack: string;
        /** The Docker provider's `docker:host`; jobs run through the Docker CLI against the same host. */
        readonly dockerHost?: string;
        /** Which secret keys are set (their values stay Pulumi secrets, see StackSecrets). */
        readonly secretsSet: readonly SecretKey[];
    };

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
function issuesFromZod(error: z.ZodError, raw: unknown): ConfigIssue[] {
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

/** The `frappe:` entries sorted out: plain values (structured ones parsed), which secrets are set, and misuse. */
function readEntries(source: ConfigSource): {
    raw: Record<string, unknown>;
    presentSecrets: Set<SecretKey>;
    issues: ConfigIssue[];
} {
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
                    expected: `a secret (it is stored in plain text now): run ${setSecretHint(key)}`,
                });
            } else if (text !== "") {
                presentSecrets.add(key as SecretKey);
            }
        } else if (!PLAIN_KEYS.includes(key)) {
            issues.push(unknownKeyIssue([key], text));
        } else if (!STRUCTURED_KEYS.has(key)) {
            raw[key] = text;
        } else {
            try {
                raw[key] = JSON.parse(text) as unknown;
            } catch {
                issues.push({ key: fullKey, value: text, expected: "a structured value (YAML object or list)" });
            }
        }
    }
    return { raw, presentSecrets, issues };
}

/** The rules between keys, skipping those that read a key already reported invalid. */
function crossKeyIssues(
    data: RawStackConfig,
    invalid: ReadonlySet<string>,
    stack: string,
    presentSecrets: ReadonlySet<SecretKey>,
): ConfigIssue[] {
    return crossKeyProblems(data, stack, presentSecrets)
        .filter((p) => !p.involves.some((k) => invalid.has(k))) // a default stands in for a reported value
        .map((p) => ({
            key: keyPath(p.path),
            value: (SECRET_KEYS as readonly PropertyKey[]).includes(p.path[0]) ? undefined : valueAt(data, p.path),
            expected: p.expected,
        }));
}

/** The apps a build installs (inline or from its apps.json) and everything wrong with the build's inputs. */
function buildIssues(
    data: RawStackConfig,
    source: ConfigSource,
    presentSecrets: ReadonlySet<SecretKey>,
): { buildApps: AppEntry[]; issues: ConfigIssue[] } {
    if (!data.build) {
        return { buildApps: [], issues: [] };
    }
    const loaded = loadApps(data.build, source.projectRoot);
    const inputs = {
        stack: source.stack,
        repository: data.image,
        apps: loaded.apps,
        registry: data.registry,
        registryPasswordSet: presentSecrets.has("registryPassword"),
        gitTokenSet: presentSecrets.has("gitToken"),
        build: data.build,
    };
    const appsKey = data.build.apps !== undefined ? "frappe:build.apps" : (data.build.appsFile ?? DEFAULT_APPS_FILE);
    return {
        buildApps: loaded.apps,
        issues: [
            ...loaded.issues,
            ...buildInputIssues(inputs, { appsKey, repositoryKey: "frappe:image" }),
            ...(loaded.issues.length === 0 ? siteAppIssues(data.sites, loaded.apps, appsKey) : []),
        ],
    };
}

/**
 * Apps a site lists that the stack's own build does not install: the sites job would fail on them
 * after the build and the push. The image holds frappe and each entry's app (`appNameOf`: its declared
 * `name`, else the one derived from its repository). While some entry's name is derived, the listed app
 * may be that entry under its package's name, so the message names the `name` key as the other fix.
 */
function siteAppIssues(
    sites: readonly { name: string; apps: readonly string[] }[],
    apps: readonly AppEntry[],
    appsKey: string,
): ConfigIssue[] {
    const built = ["frappe", ...apps.map(appNameOf)];
    const derived = apps.some((a) => a.name === undefined);
    return sites.flatMap((site, i) =>
        site.apps.flatMap((app, j) =>
            built.includes(app)
                ? []
                : [
                      {
                          key: `frappe:sites[${i}].apps[${j}]`,
                          value: app,
                          expected: `an app the stack's build installs`,
                          message:
                              `site ${site.name} lists app ${app}, which ${appsKey} does not install (the image will ` +
                              `hold ${built.join(", ")}): add ${app} to ${appsKey}, or remove it from the site's apps` +
                              (derived
                                  ? `; if an entry of ${appsKey} installs ${app} from a repository of another name, ` +
                                    `add "name": "${app}" to that entry (bench names an app after its Python package, ` +
                                    "not its repository)"
                                  : ""),
                      },
                  ],
        ),
    );
}

function parseUnredacted(source: ConfigSource): { config?: StackConfig; issues: ConfigIssue[] } {
    const { raw, presentSecrets, issues } = readEntries(source);
    const parsed = stackSchema.safeParse(raw);
    if (!parsed.success) {
        issues.push(...issuesFromZod(parsed.error, raw));
        // Still report the rules between keys that are valid on their own, so one run shows every problem.
        const { data, invalid } = parseKeyByKey(raw);
        issues.push(...crossKeyIssues(data, invalid, source.stack, presentSecrets));
        return { issues };
    }
    issues.push(...crossKeyIssues(parsed.data, new Set(), source.stack, presentSecrets));
    const build = buildIssues(parsed.data, source, presentSecrets);
    issues.push(...build.issues);
    if (issues.length > 0) {
        return { issues };
    }
    const { build: _build, tag: _tag, digest: _digest, ...rest } = parsed.data;
    return {
        config: {
            ...rest,
            ...imageSource(parsed.data, build.buildApps),
            stack: source.stack,
            dockerHost: source.entries["docker:host"],
            secretsSet: [...presentSecrets].sort(),
        },
        issues,
    };
}

/** The image source of a config whose rules passed (imageSourceRule: a build, or else a tag). */
function imageSource(data: RawStackConfig, buildApps: readonly AppEntry[]): ImageSource {
    if (data.build) {
        return { build: data.build, buildApps };
    }
    if (data.tag === undefined) {
        throw new Error("frappe:tag is required unless frappe:build is set (the config rules should have said so)");
    }
    return data.digest === undefined ? { tag: data.tag } : { tag: data.tag, digest: data.digest };
}

/**
 * Pulumi's own test for "this key was set with --secret". The runtime exports it (sdk/nodejs
 * runtime/config.ts, `isConfigSecret`) but its typings mark it internal. Without it the check that
 * refuses plain-text secrets would be off, so a missing function fails the deploy instead.
 */
export function configSecretCheck(runtime: object): (fullKey: string) => boolean {
    const check: unknown = Reflect.get(runtime, "isConfigSecret");
    if (typeof check !== "function") {
        throw new Error(
            "@pulumi/pulumi's runtime no longer provides isConfigSecret, so this program cannot tell a secret " +
                "config value from a plain-text one; refusing to deploy. Use the @pulumi/pulumi version in " +
                "package-lock.json, or update configSecretCheck in components/config/load.ts.",
        );
    }
    return (fullKey) => Reflect.apply(check, runtime, [fullKey]) === true;
}

/** The runtime's config map, read the supported way: secrets stay Outputs, plain keys stay strings. */
function runtimeConfigSource(projectRoot: string): ConfigSource {
    return {
        stack: pulumi.getStack(),
        entries: pulumi.runtime.allConfig(),
        isSecret: configSecretCheck(pulumi.runtime),
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
