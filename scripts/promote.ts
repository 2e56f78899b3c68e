/**
 * npm run promote -- [--from outputs.json] [--stack staging] [--file Pulumi.production.yaml] [--dry-run]
 *
 * Copies the image staging runs (stack outputs imageTag, imageDigest and, when exported, imageRef) into
 * the production stack's config (frappe:tag, frappe:digest and the repository as frappe:image),
 * keeping every other key and comment of the file, and prints the commands that deploy it. Nothing is deployed here: production's `pulumi preview`/`pulumi up`
 * (or the deploy-production workflow) does that, from the committed file.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { Document, isMap, isScalar, Node, parse, parseDocument, Scalar } from "yaml";
import { DIGEST_PATTERN, REPOSITORY_PATTERN, TAG_PATTERN } from "../components/conventions/image";
import { isMovingRef, MOVING_REF_DESCRIPTION } from "../components/conventions/tags";

/** Config namespace of the program's keys (`frappe:tag`). */
export const CONFIG_NAMESPACE = "frappe";
export const TAG_KEY = `${CONFIG_NAMESPACE}:tag`;
export const DIGEST_KEY = `${CONFIG_NAMESPACE}:digest`;
export const IMAGE_KEY = `${CONFIG_NAMESPACE}:image`;
const BUILD_KEY = `${CONFIG_NAMESPACE}:build`;

export interface Promotion {
    readonly tag: string;
    readonly digest: string;
    /** Repository staging pushed to, from its `imageRef` output (`repo:tag@digest`) when exported. */
    readonly repository?: string;
}

export class PromotionError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "PromotionError";
    }
}

/** Validates `pulumi stack output --json` (or a saved copy of it). `source` names it in errors. */
export function parseStackOutputs(outputs: unknown, source: string): Promotion {
    if (typeof outputs !== "object" || outputs === null || Array.isArray(outputs)) {
        throw new PromotionError(`${source}: expected a JSON object of stack outputs`);
    }
    const o = outputs as Record<string, unknown>;
    const tag = o.imageTag;
    const digest = o.imageDigest;
    if (typeof tag !== "string" || !TAG_PATTERN.test(tag)) {
        throw new PromotionError(`${source}: imageTag is ${JSON.stringify(tag)}; expected a Docker tag`);
    }
    if (isMovingRef(tag)) {
        throw new PromotionError(`${source}: imageTag ${tag} moves; production needs ${MOVING_REF_DESCRIPTION}`);
    }
    if (typeof digest !== "string" || !DIGEST_PATTERN.test(digest)) {
        throw new PromotionError(
            `${source}: imageDigest is ${JSON.stringify(digest)}; expected sha256:<64 hex> ` +
                "(has staging finished a successful pulumi up since it started building?)",
        );
    }
    const ref = o.imageRef;
    if (ref !== undefined) {
        const suffix = `:${tag}@${digest}`;
        const repository = typeof ref === "string" && ref.endsWith(suffix) ? ref.slice(0, -suffix.length) : "";
        if (!REPOSITORY_PATTERN.test(repository)) {
            throw new PromotionError(`${source}: imageRef ${JSON.stringify(ref)} is not <repository>${suffix}`);
        }
        return { tag, digest, repository };
    }
    return { tag, digest };
}

export interface PromotionResult {
    /** The new file content. */
    readonly text: string;
    /** Whether image, tag or digest changed. */
    readonly changed: boolean;
    /** Values found before, for the rollback hint. */
    readonly previous: { readonly image?: string; readonly tag?: string; readonly digest?: string };
}

type StackDocument = Document<Node, false>;

/** A scalar whose plain form YAML would read back as a number, boolean or null gets quotes. */
/**
 * Sets `config.<key>`. A new key goes right after `after` when that key exists, so image, tag and
 * digest stay together for the reader instead of the digest landing at the end of the file.
 */
function setString(doc: StackDocument, key: string, value: string, after?: string): void {
    const config: unknown = doc.get("config", true);
    if (after !== undefined && isMap(config) && !config.has(key)) {
        const index = config.items.findIndex((pair) => isScalar(pair.key) && pair.key.value === after);
        if (index >= 0) {
            config.items.splice(index + 1, 0, doc.createPair(key, value));
        }
    }
    doc.setIn(["config", key], value);
    const node: unknown = doc.getIn(["config", key], true);
    if (isScalar(node) && typeof parse(value) !== "string") {
        node.type = Scalar.QUOTE_DOUBLE;
    }
}

function stringAt(doc: StackDocument, key: string): string | undefined {
    const value: unknown = doc.getIn(["config", key]);
    return typeof value === "string" ? value : undefined;
}

/**
 * Writes the promotion into a stack file's text (undefined when the file does not exist yet).
 * Pure: comments, key order and every other key are kept; only frappe:tag, frappe:digest and (when
 * the promotion names the repository) frappe:image change.
 */
export function applyPromotion(
    yamlText: string | undefined,
    promotion: Promotion,
    file = "Pulumi.production.yaml",
): PromotionResult {
    const doc = parseDocument<Node, false>(yamlText ?? "");
    if (doc.errors.length > 0) {
        throw new PromotionError(`${file} is not valid YAML: ${doc.errors[0].message}`);
    }
    if (doc.contents === null) {
        doc.contents = doc.createNode({});
    }
    if (!isMap(doc.contents)) {
        throw new PromotionError(`${file}: expected a mapping with a config: key at the top`);
    }
    const config: unknown = doc.get("config", true);
    if (config === undefined || config === null || (isScalar(config) && config.value === null)) {
        doc.set("config", doc.createNode({}));
    } else if (!isMap(config)) {
        throw new PromotionError(`${file}: config: must be a mapping`);
    }
    if (doc.hasIn(["config", BUILD_KEY])) {
        throw new PromotionError(
            `${file} sets ${BUILD_KEY}, but production never builds; remove it (pulumi config rm build --stack <production stack>)`,
        );
    }
    const previous = {
        image: stringAt(doc, IMAGE_KEY),
        tag: stringAt(doc, TAG_KEY),
        digest: stringAt(doc, DIGEST_KEY),
    };
    // The first promotion typically moves production from a public image to the one staging built.
    if (promotion.repository !== undefined) {
        setString(doc, IMAGE_KEY, promotion.repository);
    }
    setString(doc, TAG_KEY, promotion.tag, IMAGE_KEY);
    setString(doc, DIGEST_KEY, promotion.digest, TAG_KEY);
    // No folding: Pulumi config values stay on one line, as `pulumi config set` writes them.
    const text = doc.toString({ lineWidth: 0 });

    // The program reads these back as strings; make sure the written file says exactly that.
    const check = parse(text) as { config?: Record<string, unknown> };
    if (
        check.config?.[TAG_KEY] !== promotion.tag ||
        check.config?.[DIGEST_KEY] !== promotion.digest ||
        (promotion.repository !== undefined && check.config?.[IMAGE_KEY] !== promotion.repository)
    ) {
        throw new PromotionError(`internal error: ${file} would not read back as ${promotion.tag}@${promotion.digest}`);
    }
    return {
        text,
        changed:
            previous.tag !== promotion.tag ||
            previous.digest !== promotion.digest ||
            (promotion.repository !== undefined && previous.image !== promotion.repository),
        previous,
    };
}

/** `Pulumi.production.yaml` → `production`. */
export function stackOfFile(file: string): string {
    const match = /^Pulumi\.(.+)\.ya?ml$/.exec(path.basename(file));
    if (!match) {
        throw new PromotionError(`${file}: expected a stack file named Pulumi.<stack>.yaml`);
    }
    return match[1];
}

export interface PromoteIo {
    /** `pulumi stack output --stack <stack> --json`, parsed. */
    readonly stackOutputs: (stack: string, cwd: string) => unknown;
    readonly log: (line: string) => void;
    readonly error: (line: string) => void;
}

const PROJECT_ROOT = path.resolve(__dirname, "..");

export const defaultIo: PromoteIo = {
    stackOutputs(stack, cwd) {
        let stdout: string;
        try {
            stdout = execFileSync("pulumi", ["stack", "output", "--stack", stack, "--json"], {
                cwd,
                encoding: "utf8",
                stdio: ["ignore", "pipe", "inherit"],
            });
        } catch (err) {
            const e = err as NodeJS.ErrnoException;
            throw new PromotionError(
                e.code === "ENOENT"
                    ? "the pulumi CLI is not installed here; pass --from <file> with saved `pulumi stack output --json`"
                    : `pulumi stack output --stack ${stack} failed (${e.message.split("\n")[0]})`,
            );
        }
        return JSON.parse(stdout) as unknown;
    },
    log: (line) => console.log(line),
    error: (line) => console.error(line),
};

/**
 * Formats the rewritten file the way `npm run lint` (prettier --check) expects, so a promotion
 * commit passes CI; the yaml library's own layout differs in details such as flow-sequence spacing.
 * Without prettier installed (a production-only install) the text is kept as the yaml library wrote it.
 */
export async function formatLikeRepository(text: string, file: string): Promise<string> {
    let prettier: typeof import("prettier");
    try {
        prettier = await import("prettier");
    } catch {
        return text;
    }
    const info = await prettier.getFileInfo(file, { ignorePath: path.join(path.dirname(file), ".prettierignore") });
    if (info.ignored) {
        return text;
    }
    const options = (await prettier.resolveConfig(file)) ?? {};
    return prettier.format(text, { ...options, filepath: file });
}

/** Runs the command; resolves to the process exit code. */
export async function main(
    argv: readonly string[],
    io: PromoteIo = defaultIo,
    root: string = PROJECT_ROOT,
): Promise<number> {
    try {
        const { values } = parseArgs({
            args: [...argv],
            options: {
                from: { type: "string" },
                stack: { type: "string", default: "staging" },
                file: { type: "string", default: "Pulumi.production.yaml" },
                "dry-run": { type: "boolean", default: false },
            },
            strict: true,
            allowPositionals: false,
        });
        const file = path.resolve(root, values.file);
        const target = stackOfFile(file);
        if (target === values.stack) {
            throw new PromotionError(`--stack ${values.stack} is both source and target`);
        }

        let outputs: unknown;
        let source: string;
        if (values.from !== undefined) {
            source = values.from;
            try {
                outputs = JSON.parse(fs.readFileSync(path.resolve(root, values.from), "utf8")) as unknown;
            } catch (err) {
                throw new PromotionError(`${values.from}: ${(err as Error).message}`);
            }
        } else {
            source = `stack ${values.stack}`;
            outputs = io.stackOutputs(values.stack, root);
        }
        const promotion = parseStackOutputs(outputs, source);

        const before = fs.existsSync(file) ? fs.readFileSync(file, "utf8") : undefined;
        const result = applyPromotion(before, promotion, path.basename(file));
        const name = path.relative(root, file) || file;

        const settings = [
            ...(promotion.repository !== undefined ? [`${IMAGE_KEY}=${promotion.repository}`] : []),
            `${TAG_KEY}=${promotion.tag}`,
            `${DIGEST_KEY}=${promotion.digest}`,
        ].join(" ");
        if (!result.changed) {
            io.log(`${name} already has ${settings}; nothing to promote.`);
        } else if (values["dry-run"]) {
            io.log(`Would set ${settings} in ${name}:`);
            io.log(await formatLikeRepository(result.text, file));
        } else {
            fs.writeFileSync(file, await formatLikeRepository(result.text, file));
            io.log(`Promoted ${source}'s image to ${target}: ${settings}`);
        }
        if (promotion.repository === undefined) {
            io.log(`Note: ${source} has no imageRef output, so ${IMAGE_KEY} was left as it is.`);
        }
        if (result.changed && result.previous.tag !== undefined) {
            const set = (key: string, value: string) => `pulumi config set --stack ${target} ${key} ${value}`;
            const back = [
                ...(promotion.repository !== undefined &&
                result.previous.image !== undefined &&
                result.previous.image !== promotion.repository
                    ? [set("image", result.previous.image)]
                    : []),
                set("tag", result.previous.tag),
                result.previous.digest !== undefined
                    ? set("digest", result.previous.digest)
                    : `pulumi config rm --stack ${target} digest`,
                `pulumi up --stack ${target}`,
            ];
            io.log("To go back to what ran before (code only; see docs/images.md for data):");
            io.log(`  ${back.join(" && ")}`);
        }
        io.log("Next:");
        io.log(`  git diff -- ${name}`);
        io.log(`  pulumi preview --stack ${target}`);
        io.log(`  pulumi up --stack ${target}    # after the preview shows only the image change you expect`);
        return 0;
    } catch (err) {
        if (err instanceof PromotionError || (err as { code?: string }).code?.startsWith("ERR_PARSE_ARGS")) {
            io.error(`promote: ${(err as Error).message}`);
            return 1;
        }
        throw err;
    }
}

if (require.main === module) {
    main(process.argv.slice(2)).then(
        (code) => {
            process.exitCode = code;
        },
        (err: unknown) => {
            console.error(err);
            process.exitCode = 1;
        },
    );
}
