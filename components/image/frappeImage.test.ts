import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { BuildConfig, buildConfigSchema } from "../config/buildSchema";
import type { AppEntry } from "../config/appsJson";
import { planImageBuild } from "./buildPlan";
import { FrappeImage, hashBuildContext, IMAGE_CONTEXT_DIR } from "./frappeImage";
import { dockerBuildRejections, previewBuildBlockers } from "../../test/providerRules";

/** How secret values reach mocks: wrapped with Pulumi's special signature. */
const SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
const DIGEST = `sha256:${"ab".repeat(32)}`;
const SHA = "0123456789abcdef0123456789abcdef01234567";
const IMAGE_TYPE = "docker-build:index:Image";

interface Registered {
    type: string;
    name: string;
    inputs: Record<string, unknown>;
}

let registered: Registered[] = [];

async function useMocks(stack: string): Promise<void> {
    await pulumi.runtime.setMocks(
        {
            newResource(args: pulumi.runtime.MockResourceArgs) {
                const inputs = args.inputs as Record<string, unknown>;
                registered.push({ type: args.type, name: args.name, inputs });
                const state: Record<string, unknown> = { ...inputs };
                if (args.type === IMAGE_TYPE) {
                    const tags = inputs.tags as string[];
                    state.digest = DIGEST;
                    state.ref = `${tags[0]}@${DIGEST}`;
                    state.contextHash = "ctx";
                }
                return { id: `${args.name}-id`, state };
            },
            call() {
                throw new Error("no invokes expected");
            },
        },
        "frappe",
        stack,
        false,
    );
}

function unwrap<T>(output: pulumi.Output<T>): Promise<T> {
    return new Promise((resolve) => output.apply((v) => resolve(v)));
}

function unwrapSecret(value: unknown): unknown {
    assert.equal(typeof value, "object", `expected a secret, got ${JSON.stringify(value)}`);
    const wrapped = value as Record<string, unknown>;
    assert.equal(wrapped[SECRET_SIG_KEY], SECRET_SIG, `expected a secret, got ${JSON.stringify(value)}`);
    return wrapped.value;
}

const apps: AppEntry[] = [
    { url: "https://github.com/frappe/erpnext", branch: "v15.45.1" },
    { url: "https://github.com/acme/private_app", branch: "main", commit: SHA, private: true },
];

const build: BuildConfig = buildConfigSchema.parse({
    frappeBranch: "v15.49.1",
    pythonVersion: "3.11",
    platforms: ["linux/amd64", "linux/arm64"],
    extraTags: ["staging-latest"],
});

describe("FrappeImage (staging)", () => {
    before(async () => {
        await useMocks("staging");
    });
    beforeEach(() => {
        registered = [];
    });

    it("registers one docker-build Image with exact inputs and pins the result by digest", async () => {
        const image = new FrappeImage("erp", {
            repository: "ghcr.io/acme/erpnext",
            build,
            apps,
            registry: { server: "ghcr.io", username: "ci-bot" },
            registryPassword: pulumi.secret("registry-pass"),
            gitToken: pulumi.secret("ghp_token"),
        });
        const plan = planImageBuild({
            repository: "ghcr.io/acme/erpnext",
            build,
            apps,
            contextDigest: hashBuildContext(IMAGE_CONTEXT_DIR),
        });

        assert.equal(image.tag, plan.tag);
        assert.match(image.tag, /^v15\.49\.1-[0-9a-f]{16}$/);
        assert.equal(await unwrap(image.digest), DIGEST);
        assert.equal(await unwrap(image.ref), `ghcr.io/acme/erpnext:${plan.tag}@${DIGEST}`);

        const images = registered.filter((r) => r.type === IMAGE_TYPE);
        assert.equal(images.length, 1);
        const inputs = images[0].inputs;
        assert.equal(images[0].name, "erp");
        // Pushed through a registry export, so that `pulumi preview` really builds (the rule is in
        // test/providerRules.ts previewBuildBlockers, from pulumi-docker-build v0.0.22 image.go:407-451).
        assert.equal(inputs.push, false);
        assert.deepEqual(inputs.exports, [{ registry: {} }]);
        const unwrapped = {
            ...inputs,
            secrets: unwrapSecret(inputs.secrets),
            registries: unwrapSecret(inputs.registries),
        };
        assert.deepEqual(previewBuildBlockers(unwrapped), []);
        assert.deepEqual(dockerBuildRejections(unwrapped), []);
        assert.deepEqual(inputs.tags, [`ghcr.io/acme/erpnext:${plan.tag}`, "ghcr.io/acme/erpnext:staging-latest"]);
        assert.deepEqual(inputs.buildArgs, {
            FRAPPE_IMAGE_PREFIX: "frappe",
            FRAPPE_PATH: "https://github.com/frappe/frappe",
            FRAPPE_BRANCH: "v15.49.1",
            BUILD_IMAGE_TAG: "v15.45.1",
            BASE_IMAGE_TAG: "v15.49.1",
            PYTHON_VERSION: "3.11",
            CACHE_BUST: plan.cacheBust,
        });
        assert.deepEqual(inputs.platforms, ["linux/amd64", "linux/arm64"]);
        const contextDir = path.relative(process.cwd(), IMAGE_CONTEXT_DIR);
        assert.deepEqual(inputs.context, { location: contextDir });
        assert.deepEqual(inputs.dockerfile, { location: path.join(contextDir, "Containerfile") });
        assert.equal(path.resolve(contextDir), path.resolve(__dirname, "..", "..", "images"));
        assert.deepEqual(inputs.ignoreSecretsInDiffCalculation, ["apps_json"]);
        assert.deepEqual(inputs.labels, plan.labels);

        // A secret value makes the whole map secret on the wire.
        const secrets = unwrapSecret(inputs.secrets) as Record<string, unknown>;
        assert.deepEqual(Object.keys(secrets), ["apps_json"]);
        const secretText = secrets.apps_json;
        assert.equal(secretText, plan.appsJsonSecret("ghp_token"));
        assert.match(String(secretText), /https:\/\/x-access-token:ghp_token@github\.com\/acme\/private_app/);

        const registries = unwrapSecret(inputs.registries) as Record<string, unknown>[];
        assert.equal(registries.length, 1);
        assert.equal(registries[0].address, "ghcr.io");
        assert.equal(registries[0].username, "ci-bot");
        assert.equal(registries[0].password, "registry-pass");

        const visible = JSON.stringify([inputs.buildArgs, inputs.labels, inputs.tags]);
        for (const app of apps) {
            assert.ok(!visible.includes(app.url), `${app.url} leaked outside the secret`);
        }
        assert.ok(!JSON.stringify(inputs).replace(JSON.stringify(secretText), "").includes("ghp_token"));
    });
});

describe("FrappeImage (staging): registry credentials", () => {
    before(async () => {
        await useMocks("staging");
    });
    beforeEach(() => {
        registered = [];
    });

    it("keeps the registry password secret even when given as plain text, and omits registries without one", async () => {
        const withPlain = new FrappeImage("plain", {
            repository: "ghcr.io/acme/erpnext",
            build,
            apps: [apps[0]],
            registry: { server: "ghcr.io", username: "ci-bot" },
            registryPassword: "plain-pass",
        });
        await unwrap(withPlain.ref);
        const first = registered.find((r) => r.type === IMAGE_TYPE && r.name === "plain")!;
        const registries = unwrapSecret(first.inputs.registries) as Record<string, unknown>[];
        assert.equal(registries[0].password, "plain-pass");
        // Without private apps there is no token, and the list still travels as a secret.
        assert.equal(
            (unwrapSecret(first.inputs.secrets) as Record<string, unknown>).apps_json,
            planImageBuild({
                repository: "ghcr.io/acme/erpnext",
                build,
                apps: [apps[0]],
                contextDigest: hashBuildContext(IMAGE_CONTEXT_DIR),
            }).appsJsonSecret(),
        );

        const hostLogin = new FrappeImage("hostlogin", { repository: "acme/erpnext", build, apps: [apps[0]] });
        await unwrap(hostLogin.ref);
        const second = registered.find((r) => r.type === IMAGE_TYPE && r.name === "hostlogin")!;
        assert.equal(second.inputs.registries, undefined);
        assert.equal(hostLogin.tag, withPlain.tag);
    });
});

describe("FrappeImage (staging): ownership", () => {
    before(async () => {
        await useMocks("staging");
    });
    beforeEach(() => {
        registered = [];
    });

    it("parents the image to the component and keeps pushed tags when it is deleted", async () => {
        const seen: { type: string; name: string; parent?: pulumi.Resource; retainOnDelete?: boolean }[] = [];
        const image = new FrappeImage(
            "parented",
            { repository: "acme/erpnext", build, apps: [apps[0]] },
            {
                transformations: [
                    (args) => {
                        if (args.type !== "frappe:image:FrappeImage") {
                            seen.push({
                                type: args.type,
                                name: args.name,
                                parent: args.opts.parent,
                                retainOnDelete: args.opts.retainOnDelete,
                            });
                        }
                        return undefined;
                    },
                ],
            },
        );
        await unwrap(image.ref);
        assert.deepEqual(
            seen.map((s) => [s.type, s.name]),
            [[IMAGE_TYPE, "parented"]],
        );
        assert.equal(seen[0].parent, image);
        assert.equal(seen[0].retainOnDelete, true);
    });
});

describe("hashBuildContext", () => {
    let dir: string;
    beforeEach(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "frappe-context-"));
        fs.cpSync(IMAGE_CONTEXT_DIR, dir, { recursive: true });
    });
    afterEach(() => {
        fs.rmSync(dir, { recursive: true, force: true });
    });

    it("hashes the copied context like the original", () => {
        assert.equal(hashBuildContext(dir), hashBuildContext(IMAGE_CONTEXT_DIR));
        assert.match(hashBuildContext(dir), /^[0-9a-f]{64}$/);
    });

    it("changes when the Containerfile or a script changes, or a file is added", () => {
        const before = hashBuildContext(dir);
        fs.appendFileSync(path.join(dir, "Containerfile"), "\n");
        const afterContainerfile = hashBuildContext(dir);
        assert.notEqual(afterContainerfile, before);
        fs.appendFileSync(path.join(dir, "build-bench.py"), "\n");
        assert.notEqual(hashBuildContext(dir), afterContainerfile);
        const afterScript = hashBuildContext(dir);
        fs.mkdirSync(path.join(dir, "extra"));
        fs.writeFileSync(path.join(dir, "extra", "file"), "x");
        assert.notEqual(hashBuildContext(dir), afterScript);
    });

    it("ignores Python's bytecode cache", () => {
        const before = hashBuildContext(dir);
        fs.mkdirSync(path.join(dir, "__pycache__"));
        fs.writeFileSync(path.join(dir, "__pycache__", "build-bench.cpython-311.pyc"), "bytecode");
        assert.equal(hashBuildContext(dir), before);
    });
});
