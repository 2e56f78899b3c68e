import * as fs from "node:fs";
import * as path from "node:path";
import { ConfigIssue, setSecretHint } from "./issues";
import { APP_NAME_DESCRIPTION, APP_NAME_PATTERN } from "../conventions/apps";
import { isMovingRef, MOVING_REF_DESCRIPTION } from "../conventions/tags";

/**
 * One app to install into the image, in the shape bench's `apps.json` uses plus three optional keys.
 * The url never carries credentials; entries marked `private` get `frappe:gitToken` injected into the
 * BuildKit secret only (see `planImageBuild().appsJsonSecret`).
 */
export interface AppEntry {
    /** `https://host/org/repo[.git]`, no user, password, query or fragment. */
    readonly url: string;
    /** A release tag (`v15.45.1`), or any branch when `commit` pins it. */
    readonly branch: string;
    /** Full 40-hex commit the build checks out and verifies; makes `branch` only a hint for the clone. */
    readonly commit?: string;
    /** Clone with `frappe:gitToken`. */
    readonly private?: boolean;
    /**
     * The app's name as bench installs it (`apps/<name>`, the name sites list), for a repository whose
     * name differs from its Python package's; unset, the name is derived from the repository (see `appNameOf`).
     */
    readonly name?: string;
}

/** A problem found in a list of app entries; `path` is relative to the list. */
export interface AppListProblem {
    readonly path: readonly (string | number)[];
    readonly value: unknown;
    readonly expected: string;
}

const ENTRY_KEYS = new Set(["url", "branch", "commit", "private", "name"]);

/** Unknown keys whose values are not echoed in errors. */
const SECRET_LOOKING_KEY = /token|pass|secret|auth|cred|key/i;

/** `v15.45.1`, `15.3.0`, `v2.6.4-beta.1`: at least major.minor, so release lines such as `v15` stay out. */
const RELEASE_TAG_PATTERN = /^v?\d+(?:\.\d+){1,3}(?:[-+][0-9A-Za-z][0-9A-Za-z.-]*)?$/;

const RELEASE_TAG_DESCRIPTION = "a pinned release tag such as v15.45.1";

const COMMIT_PATTERN = /^[0-9a-f]{40}$/;

/** Characters git allows in ref names that we also accept; no `..`, no leading `-` or `/`. */
const GIT_REF_PATTERN = /^(?!.*\.\.)(?!.*\/\/)(?!.*\.lock$)[A-Za-z0-9_][A-Za-z0-9._/-]*(?<![/.])$/;

const APP_URL_DESCRIPTION =
    "an https:// git URL of the form https://host/org/repo with no user name, password or token in it " +
    '(mark private repositories with "private": true; the build gets the token from the secret frappe:gitToken)';

/** Shows a URL in an error without whatever credentials it carries. */
export function redactUrl(raw: string): string {
    try {
        const u = new URL(raw);
        if (u.username || u.password) {
            return `${u.protocol}//***@${u.host}${u.pathname}`;
        }
    } catch {
        // Not parseable: handled below.
    }
    // Unparseable, or a scheme wrapping another URL (restic's s3:https://key:secret@host/...), whose inner
    // credentials WHATWG URL leaves in the path: they sit between "//" and "@".
    return raw.replace(/\/\/[^/@]*@/, "//***@");
}

/**
 * Checks a git URL as bench will use it. bench splits `host/org/repo` on the last two slashes and
 * clones into `apps/<repo>`, so at least two path segments are required.
 */
export function checkGitUrl(url: unknown): { ok: true } | { ok: false; value: unknown; expected: string } {
    if (typeof url !== "string" || url.length === 0) {
        return { ok: false, value: url, expected: APP_URL_DESCRIPTION };
    }
    let parsed: URL;
    try {
        parsed = new URL(url);
    } catch {
        return { ok: false, value: redactUrl(url), expected: APP_URL_DESCRIPTION };
    }
    if (parsed.username || parsed.password) {
        return {
            ok: false,
            value: redactUrl(url),
            expected:
                'a URL without credentials; remove the user/token from the URL, mark the entry "private": true ' +
                `and set the token with ${setSecretHint("gitToken")}`,
        };
    }
    const segments = parsed.pathname.split("/").filter((s) => s.length > 0);
    if (
        parsed.protocol !== "https:" ||
        parsed.search !== "" ||
        parsed.hash !== "" ||
        segments.length < 2 ||
        url !== url.trim() ||
        /\s/.test(url)
    ) {
        return { ok: false, value: url, expected: APP_URL_DESCRIPTION };
    }
    return { ok: true };
}

/** The directory bench clones an entry into, `apps/<repository>`, before it renames it to the app's name. */
function cloneDirectory(url: string): string {
    const last =
        new URL(url).pathname
            .split("/")
            .filter((s) => s.length > 0)
            .pop() ?? "";
    return last.replace(/\.git$/i, "");
}

/**
 * The app an entry installs, as a site lists it and bench names `apps/<name>`: its declared `name`, else
 * its repository's name in lower case with `-` read as `_`. bench names the app after its Python package
 * (frappe/bench v5.22.3, bench/utils/app.py `get_app_name`: pyproject.toml `[project] name`, else
 * setup.cfg, else setup.py, renaming the clone when that differs), which the derivation only guesses;
 * the image build verifies the name (images/build-bench.py) and `name` corrects a wrong guess.
 */
export function appNameOf(entry: { readonly url: string; readonly name?: string }): string {
    return entry.name ?? cloneDirectory(entry.url).toLowerCase().replace(/-/g, "_");
}

/** Validates a ref that must not move on its own: a release tag, not a branch or a release line. */
export function checkPinnedRef(ref: unknown): { ok: true } | { ok: false; expected: string } {
    if (typeof ref !== "string" || ref.length === 0) {
        return { ok: false, expected: RELEASE_TAG_DESCRIPTION };
    }
    if (isMovingRef(ref)) {
        return { ok: false, expected: MOVING_REF_DESCRIPTION };
    }
    if (!RELEASE_TAG_PATTERN.test(ref)) {
        return { ok: false, expected: RELEASE_TAG_DESCRIPTION };
    }
    return { ok: true };
}

/** Keys an entry does not have (a secret-looking one never shows its value). */
function unknownKeyProblems(record: Record<string, unknown>, i: number): AppListProblem[] {
    return Object.keys(record)
        .filter((key) => !ENTRY_KEYS.has(key))
        .map((key) => ({
            path: [i, key],
            value: SECRET_LOOKING_KEY.test(key) ? "***" : record[key],
            expected: "no such key; an entry has only url, branch, commit, private and name",
        }));
}

/** `commit` is a full SHA; `branch` a git ref, and a release tag unless a commit pins it. */
function refProblems(record: Record<string, unknown>, i: number): AppListProblem[] {
    const problems: AppListProblem[] = [];
    const { commit, branch } = record;
    if (commit !== undefined && (typeof commit !== "string" || !COMMIT_PATTERN.test(commit))) {
        problems.push({
            path: [i, "commit"],
            value: commit,
            expected: "the full 40-character lower-case hex SHA of a commit (git rev-parse HEAD)",
        });
    }
    if (typeof branch !== "string" || !GIT_REF_PATTERN.test(branch)) {
        problems.push({
            path: [i, "branch"],
            value: branch,
            expected: "a git tag or branch name (letters, digits, '.', '_', '-', '/')",
        });
    } else if (commit === undefined) {
        const pinned = checkPinnedRef(branch);
        if (!pinned.ok) {
            problems.push({
                path: [i, "branch"],
                value: branch,
                expected: `${pinned.expected}; to build from a branch, keep it and add "commit": "<40-hex sha>"`,
            });
        }
    }
    return problems;
}

/** `name`, when given, is an app name. */
function nameProblem(record: Record<string, unknown>, i: number): AppListProblem | undefined {
    const { name } = record;
    if (name === undefined || (typeof name === "string" && APP_NAME_PATTERN.test(name))) {
        return undefined;
    }
    return {
        path: [i, "name"],
        value: name,
        expected:
            `${APP_NAME_DESCRIPTION}: the name bench installs the app under, its Python package's ` +
            "(pyproject.toml [project] name); leave it out when that is the repository's name",
    };
}

/**
 * The app an entry installs is not frappe, not one an earlier entry installs (`seen`: app name to entry),
 * and bench can clone it: `bench get-app` clones into `apps/<repository>` first and stops when that
 * directory exists (frappe/bench v5.22.3, bench/app.py `get_app`, `check_existing_dir`).
 */
function appNameProblem(
    entry: { url: string; name?: string },
    i: number,
    seen: Map<string, number>,
): AppListProblem | undefined {
    const name = appNameOf(entry);
    const at = entry.name === undefined ? { path: [i, "url"], value: entry.url } : { path: [i, "name"], value: name };
    if (name === "frappe") {
        return {
            ...at,
            expected: "an app other than frappe; the framework comes from frappe:build.frappePath and frappeBranch",
        };
    }
    const first = seen.get(name);
    if (first !== undefined) {
        return {
            ...at,
            expected: `each app once; entry [${first}] already installs "${name}" (bench would install both into apps/${name})`,
        };
    }
    const dir = cloneDirectory(entry.url);
    const holder = dir === "frappe" ? "frappe itself" : seen.has(dir) ? `entry [${seen.get(dir)}]` : undefined;
    seen.set(name, i);
    if (holder === undefined) {
        return undefined;
    }
    return {
        path: [i, "url"],
        value: entry.url,
        expected:
            `a repository bench can clone: it clones this one into apps/${dir} before naming it ${name}, ` +
            `and ${holder} is already installed there`,
    };
}

/** Every problem of one entry, in the order keys, url, commit, branch, private, name, app name. */
function entryProblems(record: Record<string, unknown>, i: number, seen: Map<string, number>): AppListProblem[] {
    const problems = unknownKeyProblems(record, i);
    const { url, name } = record;
    const urlCheck = checkGitUrl(url);
    if (!urlCheck.ok) {
        problems.push({ path: [i, "url"], value: urlCheck.value, expected: urlCheck.expected });
    }
    problems.push(...refProblems(record, i));
    if (record.private !== undefined && typeof record.private !== "boolean") {
        problems.push({ path: [i, "private"], value: record.private, expected: "true or false" });
    }
    const badName = nameProblem(record, i);
    if (badName) {
        problems.push(badName);
    } else if (urlCheck.ok && typeof url === "string") {
        const named = appNameProblem({ url, ...(typeof name === "string" ? { name } : {}) }, i, seen);
        if (named) {
            problems.push(named);
        }
    }
    return problems;
}

/**
 * All checks on a list of app entries, reporting paths relative to the list so that both the
 * apps.json file and the inline `frappe:build.apps` key can name the offending entry.
 */
export function checkAppList(raw: unknown): { apps: AppEntry[]; problems: AppListProblem[] } {
    if (!Array.isArray(raw)) {
        const value = typeof raw === "object" && raw !== null ? "an object" : raw;
        return {
            apps: [],
            problems: [
                { path: [], value, expected: "a JSON array of app entries {url, branch, commit?, private?, name?}" },
            ],
        };
    }
    const problems: AppListProblem[] = [];
    const apps: AppEntry[] = [];
    const seen = new Map<string, number>();
    raw.forEach((entry: unknown, i) => {
        if (typeof entry !== "object" || entry === null || Array.isArray(entry)) {
            problems.push({
                path: [i],
                value: typeof entry === "string" ? redactUrl(entry) : entry,
                expected: "an object {url, branch, commit?, private?, name?}",
            });
            return;
        }
        const record = entry as Record<string, unknown>;
        const found = entryProblems(record, i, seen);
        problems.push(...found);
        const { url, branch, commit, name } = record;
        if (found.length === 0 && typeof url === "string" && typeof branch === "string") {
            apps.push({
                url,
                branch,
                ...(typeof commit === "string" ? { commit } : {}),
                ...(record.private === true ? { private: true } : {}),
                ...(typeof name === "string" ? { name } : {}),
            });
        }
    });
    return { apps, problems };
}

/** Renders a relative path the way operators write it: `[2].branch`. */
function formatPath(source: string, p: readonly (string | number)[]): string {
    return p.reduce<string>((acc, part) => (typeof part === "number" ? `${acc}[${part}]` : `${acc}.${part}`), source);
}

/**
 * Validates apps.json content (already parsed). `source` prefixes every issue key, e.g. `apps.json`
 * gives `apps.json[2].branch`. `apps` holds only the entries without problems; callers must treat any
 * issue as fatal.
 */
export function validateAppsJson(raw: unknown, source: string): { apps: AppEntry[]; issues: ConfigIssue[] } {
    const { apps, problems } = checkAppList(raw);
    return {
        apps,
        issues: problems.map((p) => ({ key: formatPath(source, p.path), value: p.value, expected: p.expected })),
    };
}

/**
 * Reads and parses an apps.json file. `label` is the name used in issues (defaults to the path); the
 * file's text is never echoed because a misplaced token is exactly what the validation looks for.
 */
export function readAppsFile(file: string, label: string = file): { raw?: unknown; issues: ConfigIssue[] } {
    let text: string;
    try {
        text = fs.readFileSync(file, "utf8");
    } catch (err) {
        const code = (err as NodeJS.ErrnoException).code ?? "unreadable";
        return {
            issues: [
                {
                    key: label,
                    value: `${code} at ${file}`,
                    expected:
                        "a readable JSON file listing the apps to build (frappe:build.appsFile is relative to the project root)",
                },
            ],
        };
    }
    try {
        return { raw: JSON.parse(text.replace(/^\uFEFF/, "")) as unknown, issues: [] };
    } catch (err) {
        return {
            issues: [
                {
                    key: label,
                    value: `text that is not JSON (${(err as Error).message})`,
                    expected: "valid JSON: an array of {url, branch, commit?, private?, name?} objects",
                },
            ],
        };
    }
}

/**
 * The app list a build uses: the inline `frappe:build.apps` when given (already validated by the
 * schema), otherwise the file `appsFile` resolved against `projectRoot`.
 */
export function loadApps(
    build: { readonly apps?: readonly AppEntry[]; readonly appsFile?: string },
    projectRoot: string,
): { apps: AppEntry[]; issues: ConfigIssue[] } {
    if (build.apps !== undefined) {
        return { apps: [...build.apps], issues: [] };
    }
    const label = build.appsFile ?? "apps.json";
    const read = readAppsFile(path.resolve(projectRoot, label), label);
    if (read.issues.length > 0) {
        return { apps: [], issues: read.issues };
    }
    return validateAppsJson(read.raw, label);
}
