import { strict as assert } from "node:assert";
import fc from "fast-check";
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { imageReference } from "../components/conventions/image";
import { type ContainerRole, standardLabels } from "../components/conventions/naming";
import {
    CONTAINER,
    exposesDockerSocket,
    internalsNotExposed,
    isSecretKey,
    LOCAL_COMMAND,
    noPlaintextSecrets,
    parseImageRef,
    policies,
    productionImagesPinned,
    REMOTE_IMAGE,
    servicesSupervised,
    stackOfUrn,
    VOLUME,
    volumesProtected,
} from "./policies";
import { type ResourceUnderTest, UNKNOWN_STRING, UnknownValueError, violations } from "./testing";

const DIGEST = `sha256:${"ab12".repeat(16)}`;
const PINNED = `frappe/erpnext:v15.88.1@${DIGEST}`;

/** A well-behaved long-running container; each test breaks one thing. */
function container(
    stack: string,
    role: ContainerRole,
    props: Record<string, unknown> = {},
    extra: Partial<ResourceUnderTest> = {},
): ResourceUnderTest {
    return {
        type: CONTAINER,
        name: `erp-${role}`,
        stack,
        props: {
            name: `frappe-${stack}-${role}`,
            image: PINNED,
            labels: standardLabels(stack, role),
            restart: "unless-stopped",
            healthcheck: { tests: ["CMD-SHELL", "true"], interval: "10s" },
            ...props,
        },
        ...extra,
    };
}

async function expectClean(policy: ResourceValidationPolicy, r: ResourceUnderTest): Promise<void> {
    assert.deepEqual(await violations(policy, r), []);
}

/** Exactly one violation per listed fragment, each message containing its fragment. */
async function expectViolations(
    policy: ResourceValidationPolicy,
    r: ResourceUnderTest,
    ...fragments: string[]
): Promise<string[]> {
    const found = await violations(policy, r);
    assert.equal(
        found.length,
        fragments.length,
        `expected ${fragments.length} violation(s), got ${JSON.stringify(found)}`,
    );
    fragments.forEach((f, i) => assert.ok(found[i].includes(f), `"${found[i]}" should mention "${f}"`));
    return found;
}

describe("policy pack: frappe-guardrails", () => {
    it("has six policies with unique names, all mandatory but the upstream-image report", () => {
        assert.equal(policies.length, 6);
        assert.equal(new Set(policies.map((p) => p.name)).size, 6);
        for (const p of policies) {
            const level = p.name === "production-upstream-images-by-tag" ? "advisory" : "mandatory";
            assert.equal(p.enforcementLevel, level, p.name);
            assert.ok(p.description.length > 20, p.name);
        }
    });

    describe("image references", () => {
        it("parses repo, tag and digest, including a registry port", () => {
            assert.deepEqual(parseImageRef(`localhost:5000/acme/erp:v1.2.3@${DIGEST}`), {
                repository: "localhost:5000/acme/erp",
                tag: "v1.2.3",
                digest: DIGEST,
                pinned: true,
            });
            assert.deepEqual(parseImageRef("localhost:5000/acme/erp"), {
                repository: "localhost:5000/acme/erp",
                tag: undefined,
                digest: undefined,
                pinned: false,
            });
            assert.equal(parseImageRef(DIGEST).pinned, true);
            assert.equal(parseImageRef("erp:v1@sha256:abc").pinned, false);
        });

        it("round-trips every reference the program builds with imageReference()", () => {
            const component = fc.stringMatching(/^[a-z0-9]+(?:[._-][a-z0-9]+)?$/);
            const repository = fc
                .tuple(
                    fc.option(fc.constantFrom("ghcr.io/", "registry.local:5000/")),
                    fc.array(component, { minLength: 1, maxLength: 3 }),
                )
                .map(([host, parts]) => `${host ?? ""}${parts.join("/")}`);
            const tag = fc.stringMatching(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,20}$/);
            const digest = fc.option(
                fc.stringMatching(/^[a-f0-9]{64}$/).map((h) => `sha256:${h}`),
                { nil: undefined },
            );
            fc.assert(
                fc.property(repository, tag, digest, (repo, t, d) => {
                    const parsed = parseImageRef(imageReference(repo, t, d));
                    assert.equal(parsed.repository, repo);
                    assert.equal(parsed.tag, t);
                    assert.equal(parsed.digest, d);
                    assert.equal(parsed.pinned, d !== undefined);
                }),
            );
        });

        it("reads the stack out of a URN", () => {
            assert.equal(stackOfUrn("urn:pulumi:production::frappe::docker:index/volume:Volume::db"), "production");
            assert.equal(stackOfUrn("not-a-urn"), undefined);
        });
    });

    describe(productionImagesPinned.name, () => {
        const p = productionImagesPinned;

        it("accepts a production container pinned by tag and digest", async () => {
            await expectClean(p, container("production", "backend"));
        });

        it("accepts an image ID (content-addressed) in production", async () => {
            await expectClean(p, container("production", "backend", { image: DIGEST }));
        });

        it("rejects a production container without a digest, naming the container", async () => {
            const [m] = await expectViolations(
                p,
                container("production", "backend", { image: "frappe/erpnext:v15.88.1" }),
                "without a digest",
            );
            assert.ok(m.includes('container "erp-backend"'), m);
            assert.ok(m.includes("frappe-production-backend"), m);
        });

        it("rejects a moving tag in production even when a digest pins it", async () => {
            await expectViolations(
                p,
                container("production", "backend", { image: `frappe/erpnext:version-15@${DIGEST}` }),
                'moving tag "version-15"',
            );
        });

        it("rejects an untagged, undigested Frappe image twice: implicit latest and no digest", async () => {
            await expectViolations(
                p,
                container("production", "scheduler", { image: "frappe/erpnext" }),
                "no tag",
                "without a digest",
            );
        });

        it("lets upstream images (db, redis, proxy) run a fixed tag, but never a moving one", async () => {
            await expectClean(p, container("production", "db", { image: "mariadb:11.8" }));
            await expectClean(p, container("production", "proxy", { image: "traefik:v3.6" }));
            await expectViolations(
                p,
                container("production", "redis-cache", { image: "redis:latest" }),
                'moving tag "latest"',
            );
            await expectViolations(p, container("production", "db", { image: "mariadb" }), "no tag");
            await expectViolations(
                p,
                container("production", "db", { image: "mariadb:11.8@sha256:0123" }),
                "malformed digest",
            );
        });

        it("demands digests for upstream images too with tagPinnedRoles: []", async () => {
            await expectViolations(
                p,
                {
                    ...container("production", "db", { image: "mariadb:11.8" }),
                    config: { [p.name]: { tagPinnedRoles: [] } },
                },
                "without a digest",
            );
        });

        it("rejects a malformed digest", async () => {
            await expectViolations(
                p,
                container("production", "backend", { image: "frappe/erpnext:v15.88.1@sha256:abc" }),
                "malformed digest",
            );
        });

        it("leaves staging alone", async () => {
            await expectClean(p, container("staging", "backend", { image: "frappe/erpnext:version-15" }));
        });

        it("treats a container in the production stack as production whatever its label says", async () => {
            const r = container("staging", "backend", { image: "frappe/erpnext:latest" });
            await expectViolations(
                p,
                { ...r, urn: `urn:pulumi:production::frappe::${CONTAINER}::erp-backend` },
                'moving tag "latest"',
                "without a digest",
            );
        });

        it("honours the policy config: productionStacks and treatAsProduction", async () => {
            const prod = container("prod", "backend", { image: "frappe/erpnext:v15.88.1" });
            await expectClean(p, prod);
            await expectViolations(
                p,
                { ...prod, config: { [p.name]: { productionStacks: ["prod"] } } },
                "without a digest",
            );
            await expectViolations(
                p,
                {
                    ...container("staging", "backend", { image: "x:v1.0.0" }),
                    config: { [p.name]: { treatAsProduction: true } },
                },
                "without a digest",
            );
        });

        it("checks image names of non-running resources for moving tags only", async () => {
            const remote = (name: string): ResourceUnderTest => ({
                type: REMOTE_IMAGE,
                name: "redis-image",
                stack: "production",
                props: { name },
            });
            await expectClean(p, remote("redis:8.6-alpine"));
            const [m] = await expectViolations(p, remote("redis:latest"), 'moving tag "latest"');
            assert.ok(m.includes('RemoteImage "redis-image"'), m);
        });

        it("does not guess when the image is unknown during preview", async () => {
            await assert.rejects(
                violations(p, container("production", "backend", { image: UNKNOWN_STRING })),
                UnknownValueError,
            );
        });
    });

    describe(volumesProtected.name, () => {
        const volume = (protect: boolean): ResourceUnderTest => ({
            type: VOLUME,
            name: "erp-db-data",
            props: { name: "frappe-staging-db-data" },
            opts: { protect },
        });

        it("accepts a protected volume", async () => {
            await expectClean(volumesProtected, volume(true));
        });

        it("rejects an unprotected volume, naming it", async () => {
            const [m] = await expectViolations(volumesProtected, volume(false), "is not protected");
            assert.ok(m.includes('volume "erp-db-data" (Docker name "frappe-staging-db-data")'), m);
        });

        it("ignores other resource types", async () => {
            await expectClean(volumesProtected, container("staging", "backend"));
        });
    });

    describe(servicesSupervised.name, () => {
        const p = servicesSupervised;

        it("accepts a long-running container with a healthcheck and a restart policy", async () => {
            await expectClean(p, container("staging", "backend"));
        });

        it("rejects a missing healthcheck and the default restart policy", async () => {
            await expectViolations(
                p,
                container("staging", "queue-short", { healthcheck: undefined, restart: undefined }),
                "has no healthcheck",
                'restart policy "no"',
            );
        });

        it("rejects a healthcheck that disables itself (NONE) and an explicit restart: no", async () => {
            await expectViolations(
                p,
                container("staging", "scheduler", { healthcheck: { tests: ["NONE"] }, restart: "no" }),
                "has no healthcheck",
                'restart policy "no"',
            );
        });
    });

    describe(internalsNotExposed.name, () => {
        const p = internalsNotExposed;
        const socket = "/var/run/docker.sock";

        it("accepts private data stores and a proxy that publishes its ports without the socket", async () => {
            await expectClean(p, container("staging", "db", { ports: [] }));
            await expectClean(p, container("staging", "redis-queue"));
            await expectClean(p, container("staging", "proxy", { ports: [{ internal: 443, external: 443 }] }));
        });

        it("rejects published ports on the database and Redis", async () => {
            const [m] = await expectViolations(
                p,
                container("staging", "db", { ports: [{ internal: 3306, external: 3306, ip: "0.0.0.0" }] }),
                "publishes host ports 0.0.0.0:3306->3306/tcp",
            );
            assert.ok(m.includes('container "erp-db"'), m);
            await expectViolations(
                p,
                container("staging", "redis-cache", { ports: [{ internal: 6379 }] }),
                "random->6379/tcp",
            );
        });

        it("rejects the socket anywhere, through volumes, mounts or a parent directory", async () => {
            await expectViolations(
                p,
                container("staging", "backend", {
                    volumes: [{ hostPath: socket, containerPath: socket, readOnly: true }],
                }),
                "read-only does not make the API read-only",
            );
            await expectViolations(
                p,
                container("staging", "backend", {
                    mounts: [{ type: "bind", source: "/run/docker.sock", target: "/s" }],
                }),
                'mounts: "/run/docker.sock"',
            );
            await expectViolations(
                p,
                container("staging", "scheduler", { volumes: [{ hostPath: "/var/run", containerPath: "/h" }] }),
                'volumes: "/var/run"',
            );
        });

        it("rejects the socket in the proxy too, read-only or not (its routes are a file)", async () => {
            await expectViolations(
                p,
                container("staging", "proxy", { mounts: [{ type: "bind", source: socket, target: socket }] }),
                "the proxy included",
            );
            await expectViolations(
                p,
                container("staging", "proxy", {
                    volumes: [{ hostPath: socket, containerPath: socket, readOnly: true }],
                }),
                'volumes: "/var/run/docker.sock", read-only',
            );
        });

        it("knows which host paths expose the socket", () => {
            for (const path of ["/var/run/docker.sock", "/run/docker.sock/", "//var/run", "/var", "/"]) {
                assert.equal(exposesDockerSocket(path), true, path);
            }
            for (const path of ["/var/lib/docker", "/var/run/docker.sock.bak", "/srv/run", "/runner"]) {
                assert.equal(exposesDockerSocket(path), false, path);
            }
        });
    });

    describe(noPlaintextSecrets.name, () => {
        const p = noPlaintextSecrets;

        it("accepts *_FILE pointers, empty values and harmless keys", async () => {
            await expectClean(
                p,
                container("staging", "db", {
                    envs: [
                        "MARIADB_ROOT_PASSWORD_FILE=/run/secrets/db-password",
                        "DB_PASSWORD=",
                        "DB_HOST=db",
                        "TOKENLESS",
                    ],
                }),
            );
        });

        it("checks job commands: the docker run env and labels, and the command's own environment", async () => {
            const jobCommand = (create: string, environment: Record<string, string> = {}): ResourceUnderTest => ({
                type: LOCAL_COMMAND,
                name: "erp-migrate",
                stack: "staging",
                props: { create, environment },
            });
            await expectClean(
                p,
                jobCommand(
                    "'docker' 'run' '-i' '--env' 'DB_ROOT_USER=root' '--label' 'frappe.role=migrate' 'img' \"$FRAPPE_JOB_SCRIPT\"",
                    { FRAPPE_JOB_SCRIPT: "bench migrate", DOCKER_HOST: "ssh://deploy@erp" },
                ),
            );
            const found = await expectViolations(
                p,
                jobCommand("docker run --env 'DB_PASSWORD=hunter2' -e API_TOKEN=abc img", { GIT_TOKEN: "ghp_1" }),
                "DB_PASSWORD set to a plaintext value",
                "API_TOKEN set to a plaintext value",
                "GIT_TOKEN in its environment",
            );
            for (const m of found) {
                assert.ok(!m.includes("hunter2") && !m.includes("ghp_1"), m);
            }
            // The program's form: run-job.sh gets the docker run arguments one per line in its env.
            const wrapper = "bash components/bench/scripts/run-job.sh";
            await expectClean(
                p,
                jobCommand(wrapper, {
                    FRAPPE_JOB_RUN_ARGS: "-i\n--env\nDB_ROOT_USER=root\n--env\nDB_PASSWORD_FILE=/x",
                }),
            );
            await expectViolations(
                p,
                jobCommand(wrapper, { FRAPPE_JOB_RUN_ARGS: "-i\n--env\nDB_PASSWORD=hunter2\nimg" }),
                "DB_PASSWORD set to a plaintext value",
            );
        });

        it("rejects a secret-looking env entry without leaking its value", async () => {
            const found = await expectViolations(
                p,
                container("staging", "backend", {
                    envs: ["DB_HOST=db", "db_password=hunter2", "GITHUB_TOKEN=ghp_x=y"],
                }),
                "sets env db_password",
                "sets env GITHUB_TOKEN",
            );
            for (const m of found) {
                assert.ok(!m.includes("hunter2") && !m.includes("ghp_x"), m);
                assert.ok(m.includes('container "erp-backend"'), m);
            }
        });

        it("rejects a secret-looking label", async () => {
            await expectViolations(
                p,
                container("staging", "proxy", {
                    labels: [
                        ...standardLabels("staging", "proxy", { "acme.api_key": "k-123", "acme.api_key_file": "/f" }),
                    ],
                }),
                "has label acme.api_key with a plaintext value",
            );
        });

        it("matches the documented key pattern", () => {
            for (const key of [
                "PASSWORD",
                "MYSQL_PASSWD",
                "client_secret",
                "X_TOKEN",
                "API_KEY",
                "AWS_ACCESS_KEY_ID",
                "SSH_PRIVATE_KEY",
            ]) {
                assert.equal(isSecretKey(key), true, key);
            }
            for (const key of ["PASSWORD_FILE", "db_password_file", "DB_HOST", "KEYCLOAK_URL", "ACCESS_LOG"]) {
                assert.equal(isSecretKey(key), false, key);
            }
        });
    });
});
