import { z } from "zod";
import { ConfigIssue, setSecretHint } from "./issues";
import { REPOSITORY_PATTERN, TAG_PATTERN } from "../conventions/image";
import { AppEntry, checkAppList, checkGitUrl, checkPinnedRef, validateAppsJson } from "./appsJson";

/** The stack that runs promoted images only; it never builds. */
const PRODUCTION_STACK = "production";

export const DEFAULT_APPS_FILE = "apps.json";
const DEFAULT_FRAPPE_PATH = "https://github.com/frappe/frappe";
const DEFAULT_IMAGE_PREFIX = "frappe";

/** Platforms frappe publishes its `base` and `build` images for; anything else has nothing to build on. */
const BUILD_PLATFORMS = ["linux/amd64", "linux/arm64"] as const;
export type BuildPlatform = (typeof BUILD_PLATFORMS)[number];

const appsSchema = z.array(z.unknown()).transform((raw, ctx): AppEntry[] => {
    const { apps, problems } = checkAppList(raw);
    for (const p of problems) {
        ctx.addIssue({ code: "custom", path: [...p.path], message: p.expected, input: p.value });
    }
    return apps;
});

const frappeBranchSchema = z
    .string({ error: "the frappe release to build on, a tag such as v15.49.1 (required)" })
    .superRefine((ref, ctx) => {
        const pinned = checkPinnedRef(ref);
        if (!pinned.ok) {
            ctx.addIssue({
                code: "custom",
                message: `${pinned.expected}; the frappe release bench clones, and the default tag of <imagePrefix>/base`,
                input: ref,
            });
        }
    });

/** A tag of frappe's published build or base image; pinned, because a moving tag rebuilds on someone else's schedule. */
function imageTagSchema(image: "build" | "base", release: string) {
    return z.string().superRefine((tag, ctx) => {
        const pinned = checkPinnedRef(tag);
        if (!pinned.ok) {
            ctx.addIssue({
                code: "custom",
                message: `${pinned.expected}: the ${release} release <imagePrefix>/${image} is tagged with`,
                input: tag,
            });
        }
    });
}

const frappePathSchema = z.string().superRefine((url, ctx) => {
    const check = checkGitUrl(url);
    if (!check.ok) {
        ctx.addIssue({ code: "custom", message: check.expected, input: check.value });
    }
});

/**
 * `frappe:build`. Its presence makes the stack build an image; production refuses it (see
 * `buildSetupIssues`). Either `apps` (inline) or `appsFile` names the apps; `appsFile` defaults to
 * `apps.json` when `apps` is absent, and is left undefined when `apps` is given.
 */
export const buildConfigSchema = z
    .strictObject({
        apps: appsSchema.optional(),
        appsFile: z
            .string()
            .min(1, { error: "a path to apps.json relative to the project root" })
            .refine((p) => !p.startsWith("/") && !/^[A-Za-z]:[\\/]/.test(p), {
                error: "a path relative to the project root (it is committed with the stack)",
            })
            .optional(),
        frappePath: frappePathSchema.default(DEFAULT_FRAPPE_PATH),
        frappeBranch: frappeBranchSchema,
        buildImageTag: imageTagSchema("build", "ERPNext").optional(),
        baseImageTag: imageTagSchema("base", "Frappe").optional(),
        pythonVersion: z
            .string()
            .regex(/^\d+\.\d+(?:\.\d+)?$/, {
                error: "a Python version such as 3.11 or 3.11.9, matched against the base image's python3",
            })
            .optional(),
        nodeVersion: z
            .string()
            .regex(/^\d+(?:\.\d+){0,2}$/, {
                error: "a Node.js version such as 20 or 20.19.2 (no leading v), matched against the base image's node",
            })
            .optional(),
        imagePrefix: z
            .string()
            .regex(REPOSITORY_PATTERN, {
                error: "a registry/namespace holding the base and build images, e.g. frappe or ghcr.io/frappe",
            })
            .default(DEFAULT_IMAGE_PREFIX),
        platforms: z
            .array(z.enum(BUILD_PLATFORMS, { error: `one of ${BUILD_PLATFORMS.join(", ")}` }))
            .min(1, { error: "at least one platform" })
            .refine((ps) => new Set(ps).size === ps.length, { error: "each platform once" })
            .default(["linux/amd64"]),
        extraTags: z
            .array(z.string().regex(TAG_PATTERN, { error: "a Docker tag ([A-Za-z0-9_][A-Za-z0-9_.-]{0,127})" }))
            .refine((ts) => new Set(ts).size === ts.length, { error: "each tag once" })
            .default([]),
    })
    .superRefine((b, ctx) => {
        if (b.apps !== undefined && b.appsFile !== undefined) {
            ctx.addIssue({
                code: "custom",
                path: ["appsFile"],
                message: "either apps (inline) or appsFile, not both",
                input: b.appsFile,
            });
        }
    })
    .transform((b) => (b.apps !== undefined ? b : { ...b, appsFile: b.appsFile ?? DEFAULT_APPS_FILE }));

export type BuildConfig = z.output<typeof buildConfigSchema>;

/** True for the ERPNext app's own repository (any host or fork named erpnext). */
function isErpnext(app: AppEntry): boolean {
    return /\/erpnext(?:\.git)?\/?$/i.test(app.url);
}

function major(tag: string): string | undefined {
    return /^v?(\d+)\./.exec(tag)?.[1];
}

/**
 * The tags the Containerfile builds FROM. frappe_docker's docker-bake.hcl (frappe/frappe_docker v3.2.2,
 * lines 103-117) tags `base` with FRAPPE_VERSION and `build` with ERPNEXT_VERSION, so
 * `<imagePrefix>/build:<frappe release>` usually does not exist ("manifest unknown"). `base` defaults
 * to frappeBranch; `build` to the ERPNext entry's release tag, and must be given when there is none.
 */
export function resolveBaseImageTags(
    build: Pick<BuildConfig, "frappeBranch" | "buildImageTag" | "baseImageTag">,
    apps: readonly AppEntry[],
): { buildTag?: string; baseTag: string; issues: ConfigIssue[] } {
    const baseTag = build.baseImageTag ?? build.frappeBranch;
    const erpnext = apps.find((a) => isErpnext(a) && a.commit === undefined && checkPinnedRef(a.branch).ok);
    const buildTag = build.buildImageTag ?? erpnext?.branch;
    const issues: ConfigIssue[] = [];
    if (buildTag === undefined) {
        issues.push({
            key: "frappe:build.buildImageTag",
            value: undefined,
            expected:
                "the ERPNext release <imagePrefix>/build is tagged with (frappe_docker tags it with the ERPNext " +
                "release, not the Frappe one), e.g. `pulumi config set --path build.buildImageTag v15.88.1`; " +
                "it is taken from the erpnext entry of the app list when that names a release tag",
        });
    }
    const want = major(build.frappeBranch);
    for (const [key, tag] of [
        ["buildImageTag", buildTag],
        ["baseImageTag", baseTag],
    ] as const) {
        if (tag !== undefined && want !== undefined && major(tag) !== undefined && major(tag) !== want) {
            issues.push({
                key: `frappe:build.${key}`,
                value: tag,
                expected: `a v${want} release, like frappeBranch ${build.frappeBranch} (a bench built on another major version's image does not run)`,
            });
        }
    }
    return { buildTag, baseTag, issues };
}

/** `frappe:registry`; the password is the secret `frappe:registryPassword`. */
export const registryConfigSchema = z.strictObject({
    server: z.string().regex(/^(?:[A-Za-z0-9-]+\.)*[A-Za-z0-9-]+(?::\d{1,5})?$/, {
        error: "a registry host such as ghcr.io, docker.io or registry.example.com:5000 (no scheme, no path)",
    }),
    username: z.string().regex(/^\S+$/, { error: "the registry user name (no spaces)" }),
});

export type RegistryConfig = z.output<typeof registryConfigSchema>;

const DOCKER_HUB_ALIASES = new Set(["docker.io", "index.docker.io", "registry-1.docker.io"]);

/** Registry host of an image repository, as Docker resolves it (`erpnext` and `acme/erpnext` are on Docker Hub). */
export function registryHost(repository: string): string {
    const first = repository.split("/")[0];
    const hasHost = repository.includes("/") && (first.includes(".") || first.includes(":") || first === "localhost");
    const host = hasHost ? first.toLowerCase() : "docker.io";
    return DOCKER_HUB_ALIASES.has(host) ? "docker.io" : host;
}

/** What a build is checked on: where it pushes, what it builds, and which credentials are set. */
export interface BuildInputs {
    readonly stack: string;
    /** Where the image is pushed, without tag or digest. */
    readonly repository: string;
    readonly apps: readonly AppEntry[];
    readonly registry?: RegistryConfig;
    readonly registryPasswordSet: boolean;
    readonly gitTokenSet: boolean;
    /** `frappe:build`, for the base image tags (resolveBaseImageTags). */
    readonly build?: Pick<BuildConfig, "frappeBranch" | "buildImageTag" | "baseImageTag">;
}

/**
 * The one check of a build's inputs, before anything is registered: the apps (by the apps.json
 * rules, named under `appsKey`), the setup around them, and the repository (named `repositoryKey`).
 * The config loader runs it on the stack config, so FrappeImage receives inputs that passed it.
 */
export function buildInputIssues(args: BuildInputs, keys: { appsKey: string; repositoryKey: string }): ConfigIssue[] {
    const issues = [...validateAppsJson(args.apps, keys.appsKey).issues, ...buildSetupIssues(args)];
    if (!REPOSITORY_PATTERN.test(args.repository)) {
        issues.push({
            key: keys.repositoryKey,
            value: args.repository,
            expected: "a repository to push to without tag or digest, e.g. ghcr.io/acme/erpnext",
        });
    }
    return issues;
}

/**
 * Checks that need more than one key, done before anything is registered: production never builds,
 * registry credentials are complete and belong to the repository's registry, and private apps have
 * a token to be cloned with. `repository` is where the image is pushed (validated by the caller).
 */
export function buildSetupIssues(args: BuildInputs): ConfigIssue[] {
    const issues: ConfigIssue[] = args.build ? [...resolveBaseImageTags(args.build, args.apps).issues] : [];
    if (args.stack === PRODUCTION_STACK) {
        issues.push({
            key: "frappe:build",
            value: "(set)",
            expected:
                "no build in the production stack: production runs the tag and digest that staging built and tested " +
                "(npm run promote writes them to Pulumi.production.yaml); remove frappe:build with " +
                "`pulumi config rm build --stack production`",
        });
    }
    if (args.registry !== undefined) {
        if (!args.registryPasswordSet) {
            issues.push({
                key: "frappe:registryPassword",
                value: undefined,
                expected: `the password or token of ${args.registry.username}@${args.registry.server}, set with ${setSecretHint("registryPassword")}`,
            });
        }
        const server = DOCKER_HUB_ALIASES.has(args.registry.server.toLowerCase())
            ? "docker.io"
            : args.registry.server.toLowerCase();
        if (REPOSITORY_PATTERN.test(args.repository) && server !== registryHost(args.repository)) {
            issues.push({
                key: "frappe:registry.server",
                value: args.registry.server,
                expected: `the registry the image is pushed to (${registryHost(args.repository)}, from ${args.repository})`,
            });
        }
    }
    const privateApps = args.apps.filter((a) => a.private === true);
    if (privateApps.length > 0 && !args.gitTokenSet) {
        issues.push({
            key: "frappe:gitToken",
            value: undefined,
            expected:
                `a token that can read ${privateApps.map((a) => a.url).join(", ")} (or <user>:<token> for hosts that ` +
                `need a user name), set with ${setSecretHint("gitToken")}`,
        });
    }
    return issues;
}
