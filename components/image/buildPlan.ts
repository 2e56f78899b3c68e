import { createHash } from "node:crypto";
import { TAG_PATTERN } from "../conventions/image";
import { BuildConfig, BuildPlatform, resolveBaseImageTags } from "../config/buildSchema";
import type { AppEntry } from "../config/appsJson";
import { setSecretHint } from "../config/issues";

/** Build arguments `images/Containerfile` declares; nothing else is passed, and none of them carries apps.json. */
export const BUILD_ARG_NAMES = [
    "FRAPPE_IMAGE_PREFIX",
    "FRAPPE_PATH",
    "FRAPPE_BRANCH",
    "BUILD_IMAGE_TAG",
    "BASE_IMAGE_TAG",
    "PYTHON_VERSION",
    "NODE_VERSION",
    "CACHE_BUST",
] as const;
export type BuildArgName = (typeof BUILD_ARG_NAMES)[number];

/** BuildKit secret id the Containerfile mounts apps.json from. */
export const APPS_JSON_SECRET_ID = "apps_json";

/** User name put in front of a token that comes without one; GitHub and GitLab accept any name with a token. */
const DEFAULT_GIT_TOKEN_USER = "x-access-token";

/** Bumped when the meaning of the tag hash changes, so old and new schemes cannot collide. */
const TAG_SCHEME = "frappe-image/v1";
const TAG_HASH_LENGTH = 16;

export interface ImageBuildInput {
    /** Where the image is pushed, without tag or digest (e.g. `ghcr.io/acme/erpnext`). */
    readonly repository: string;
    readonly build: Pick<
        BuildConfig,
        | "frappePath"
        | "frappeBranch"
        | "buildImageTag"
        | "baseImageTag"
        | "pythonVersion"
        | "nodeVersion"
        | "imagePrefix"
        | "platforms"
        | "extraTags"
    >;
    readonly apps: readonly AppEntry[];
    /**
     * sha256 of the build context (Containerfile and the scripts it copies). Part of the tag so that
     * a changed recipe can never re-push an existing tag with different content.
     */
    readonly contextDigest: string;
}

export interface ImageBuildPlan {
    /** `<frappeBranch>-<16 hex>`: a function of apps, build args, platforms and build context only. */
    readonly tag: string;
    /** Fully qualified references to push: the deterministic tag first, then the extra tags. */
    readonly tags: readonly string[];
    /**
     * Only the arguments that have a value: docker-build drops empty strings as unknowns during preview
     * and then skips the build (pulumi-docker-build v0.0.22 provider/internal/image.go:447-451, preview.go
     * mapKeeper); the Containerfile's own defaults apply to the ones left out.
     */
    readonly buildArgs: Readonly<Partial<Record<BuildArgName, string>>>;
    /** sha256 of the app list; BuildKit does not hash secret contents, so this invalidates the bench layer. */
    readonly cacheBust: string;
    readonly platforms: readonly BuildPlatform[];
    /**
     * Labels from the build args only. The app list stays out (it reaches the build solely as the
     * secret); the image's build-manifest.json records the apps and their resolved commits instead.
     */
    readonly labels: Readonly<Record<string, string>>;
    /**
     * Content of the `apps_json` BuildKit secret in bench's apps.json format. Entries marked private
     * get the token as URL credentials (`https://<user>:<token>@host/...`); `token` may be `user:token`.
     * Throws when a private entry exists and no token is given.
     */
    appsJsonSecret(token?: string): string;
}

function sha256(text: string): string {
    return createHash("sha256").update(text, "utf8").digest("hex");
}

/** The app list with a fixed key order, so equal lists always serialise to equal text. */
function canonicalApps(
    apps: readonly AppEntry[],
): { url: string; branch: string; commit?: string; private?: true; name?: string }[] {
    return apps.map((a) => ({
        url: a.url,
        branch: a.branch,
        ...(a.commit !== undefined ? { commit: a.commit } : {}),
        ...(a.private === true ? { private: true as const } : {}),
        ...(a.name !== undefined ? { name: a.name } : {}),
    }));
}

/** Keeps the readable prefix of a tag within Docker's grammar whatever the branch looks like. */
function tagPrefix(frappeBranch: string): string {
    const cleaned = frappeBranch
        .replace(/[^A-Za-z0-9_.-]+/g, "-")
        .replace(/^[^A-Za-z0-9_]+/, "")
        .slice(0, 128 - TAG_HASH_LENGTH - 1);
    return cleaned.length > 0 ? cleaned : "frappe";
}

/** Splits `user:token` (user names cannot contain ':'); a bare token gets `x-access-token`. */
export function splitGitToken(token: string): { username: string; password: string } {
    const colon = token.indexOf(":");
    if (colon > 0) {
        return { username: token.slice(0, colon), password: token.slice(colon + 1) };
    }
    return { username: DEFAULT_GIT_TOKEN_USER, password: token };
}

function withCredentials(url: string, token: string): string {
    const { username, password } = splitGitToken(token);
    const u = new URL(url);
    // The URL setters percent-encode, so tokens with '/', '@' or ':' stay one credential.
    u.username = username;
    u.password = password;
    return u.toString();
}

/**
 * Everything the image build needs, derived only from its inputs: no clock, no environment, no
 * registry. Equal inputs give equal tags, so an unchanged apps.json never rebuilds or re-pushes.
 */
export function planImageBuild(input: ImageBuildInput): ImageBuildPlan {
    const { build, repository } = input;
    const apps = canonicalApps(input.apps);
    const appsText = JSON.stringify(apps);
    const cacheBust = sha256(appsText);

    const images = resolveBaseImageTags(build, input.apps);
    if (images.buildTag === undefined || images.issues.length > 0) {
        throw new Error(`frappe:build: ${images.issues.map((i) => `${i.key}: ${i.expected}`).join("; ")}`);
    }
    const allArgs: Record<BuildArgName, string> = {
        FRAPPE_IMAGE_PREFIX: build.imagePrefix,
        FRAPPE_PATH: build.frappePath,
        FRAPPE_BRANCH: build.frappeBranch,
        BUILD_IMAGE_TAG: images.buildTag,
        BASE_IMAGE_TAG: images.baseTag,
        PYTHON_VERSION: build.pythonVersion ?? "",
        NODE_VERSION: build.nodeVersion ?? "",
        CACHE_BUST: cacheBust,
    };
    const buildArgs = Object.fromEntries(Object.entries(allArgs).filter(([, v]) => v !== ""));
    const platforms = [...new Set(build.platforms)].sort();

    // Extra tags and the repository are where the image goes, not what it is, so they stay out.
    const identity = JSON.stringify({
        scheme: TAG_SCHEME,
        apps,
        buildArgs: BUILD_ARG_NAMES.map((name) => [name, allArgs[name]]),
        platforms,
        context: input.contextDigest,
    });
    const tag = `${tagPrefix(build.frappeBranch)}-${sha256(identity).slice(0, TAG_HASH_LENGTH)}`;
    if (!TAG_PATTERN.test(tag)) {
        throw new Error(`internal error: derived tag ${JSON.stringify(tag)} is not a valid Docker tag`);
    }

    const tagNames = [tag, ...build.extraTags.filter((t) => t !== tag)];
    const tags = [...new Set(tagNames)].map((t) => `${repository}:${t}`);

    const labels: Record<string, string> = {
        "org.opencontainers.image.version": tag,
        "org.opencontainers.image.base.name": `${build.imagePrefix}/base:${images.baseTag}`,
        "frappe.framework": `${build.frappePath}#${build.frappeBranch}`,
    };

    return {
        tag,
        tags,
        buildArgs,
        cacheBust,
        platforms,
        labels,
        appsJsonSecret(token?: string): string {
            const entries = apps.map((a) => {
                let url = a.url;
                if (a.private === true) {
                    if (token === undefined || token.length === 0) {
                        throw new Error(
                            `${a.url} is marked private but no token was given; set it with ${setSecretHint("gitToken")}`,
                        );
                    }
                    url = withCredentials(a.url, token);
                }
                return {
                    url,
                    branch: a.branch,
                    ...(a.commit !== undefined ? { commit: a.commit } : {}),
                    ...(a.name !== undefined ? { name: a.name } : {}),
                };
            });
            return `${JSON.stringify(entries, null, 2)}\n`;
        },
    };
}
