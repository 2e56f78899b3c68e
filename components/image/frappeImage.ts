import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import * as dockerBuild from "@pulumi/docker-build";
import { BuildConfig, RegistryConfig } from "../config/buildSchema";
import { DIGEST_PATTERN, imageReference } from "../conventions/image";
import { AppEntry } from "../config/appsJson";
import { APPS_JSON_SECRET_ID, planImageBuild } from "./buildPlan";

/** Build context: `images/` at the repository root, holding the Containerfile and the scripts it copies. */
export const IMAGE_CONTEXT_DIR = path.resolve(__dirname, "..", "..", "images");
export const CONTAINERFILE_NAME = "Containerfile";

/**
 * sha256 over every file under `dir` (relative path and content, in sorted order). Reads the files
 * on each run, so the tag follows the recipe without anyone remembering to bump it.
 */
export function hashBuildContext(dir: string): string {
    const hash = createHash("sha256");
    const walk = (rel: string): void => {
        const entries = fs.readdirSync(path.join(dir, rel), { withFileTypes: true });
        for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
            const child = rel === "" ? entry.name : `${rel}/${entry.name}`;
            if (entry.isDirectory()) {
                // Python's bytecode cache appears when someone runs build-bench.py by hand.
                if (entry.name !== "__pycache__") {
                    walk(child);
                }
            } else if (entry.isFile()) {
                hash.update(`${child}\0`);
                hash.update(fs.readFileSync(path.join(dir, child)));
                hash.update("\0");
            }
        }
    };
    walk("");
    return hash.digest("hex");
}

/**
 * What to build, from the validated stack configuration: config/load.ts has checked every value here
 * (buildInputIssues: apps, registry credentials, git token, production refusal) before any resource
 * exists, so the component takes them as they are.
 */
export interface FrappeImageArgs {
    /** Repository the image is pushed to, without tag or digest, e.g. `ghcr.io/acme/erpnext`. */
    readonly repository: string;
    /** Parsed `frappe:build` (defaults applied). */
    readonly build: BuildConfig;
    /** Validated app list (from `frappe:build.apps` or the apps.json file; see `loadApps`). */
    readonly apps: readonly AppEntry[];
    /** `frappe:registry`; omit to rely on credentials already present on the building host. */
    readonly registry?: RegistryConfig;
    /** `frappe:registryPassword`; required when `registry` is set. Always passed on as a secret. */
    readonly registryPassword?: pulumi.Input<string>;
    /** `frappe:gitToken`, for entries marked private; lands only inside the apps_json build secret. */
    readonly gitToken?: pulumi.Input<string>;
}

/**
 * Builds the Frappe image from apps.json with BuildKit, pushes it under a deterministic tag (plus
 * any extra tags) and exposes the pushed digest. Containers should run `ref` (`repo:tag@digest`).
 */
export class FrappeImage extends pulumi.ComponentResource {
    /** Deterministic tag, known at preview time. */
    public readonly tag: string;
    /** Every reference pushed: `repo:tag` first, then `repo:<extra tag>`. */
    public readonly tags: readonly string[];
    /** `sha256:...` of the pushed image (the manifest list when several platforms are built). */
    public readonly digest: pulumi.Output<string>;
    /** `repo:tag@digest`. */
    public readonly ref: pulumi.Output<string>;

    constructor(name: string, args: FrappeImageArgs, opts?: pulumi.ComponentResourceOptions) {
        super("frappe:image:FrappeImage", name, {}, opts);

        const plan = planImageBuild({
            repository: args.repository,
            build: args.build,
            apps: args.apps,
            contextDigest: hashBuildContext(IMAGE_CONTEXT_DIR),
        });

        const token: pulumi.Output<string | undefined> =
            args.gitToken === undefined ? pulumi.output<string | undefined>(undefined) : pulumi.output(args.gitToken);
        const appsJson = pulumi.secret(token.apply((t) => plan.appsJsonSecret(t)));

        // Relative to the program's working directory (the project root), so state does not record
        // a checkout path and a run from another machine does not look like a change.
        const contextLocation = path.relative(process.cwd(), IMAGE_CONTEXT_DIR) || ".";

        const image = new dockerBuild.Image(
            name,
            {
                // A registry export, not `push: true`. docker-build v0.0.22 builds on preview only when
                // buildable() holds (provider/internal/image.go:447-451, used at 752-754): the inputs must
                // equal normalize(true) of themselves, and normalize appends a registry export whenever
                // push is true (435-437), so `push: true` never builds on preview. An explicit registry
                // export survives normalize unchanged, pushes on `up`, and is turned into push=false
                // during previews (export.go:236-239). Empty build args are left out for the same rule.
                push: false,
                exports: [{ registry: {} }],
                tags: [...plan.tags],
                buildArgs: { ...plan.buildArgs },
                platforms: [...plan.platforms],
                labels: { ...plan.labels },
                context: { location: contextLocation },
                dockerfile: { location: path.join(contextLocation, CONTAINERFILE_NAME) },
                secrets: { [APPS_JSON_SECRET_ID]: appsJson },
                // apps.json content is already in CACHE_BUST; only the token differs, and rotating
                // it must not rebuild (and re-push) an existing tag.
                ignoreSecretsInDiffCalculation: [APPS_JSON_SECRET_ID],
                registries:
                    args.registry === undefined
                        ? undefined
                        : [
                              {
                                  address: args.registry.server,
                                  username: args.registry.username,
                                  password: pulumi.secret(args.registryPassword ?? ""),
                              },
                          ],
            },
            // docker-build deletes pushed tags when the resource is deleted. Production runs images
            // staging pushed, so removing frappe:build (or renaming the stack's image) must not
            // take those tags, or their manifests, away from the registry.
            { parent: this, retainOnDelete: true },
        );

        this.tag = plan.tag;
        this.tags = plan.tags;
        this.digest = image.digest;
        this.ref = image.digest.apply((digest) => {
            if (!DIGEST_PATTERN.test(digest)) {
                throw new Error(
                    `the build of ${plan.tags[0]} reported digest ${JSON.stringify(digest)}; ` +
                        "containers need a pushed image's sha256 digest",
                );
            }
            return imageReference(args.repository, plan.tag, digest);
        });

        this.registerOutputs({ tag: this.tag, tags: this.tags, digest: this.digest, ref: this.ref });
    }
}
