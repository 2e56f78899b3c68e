import { strict as assert } from "node:assert";
import { type ContainerRole, standardLabels } from "../components/conventions/naming";
import {
    internalsNotExposed,
    noPlaintextSecrets,
    productionImagesPinned,
    SERVICE,
    servicesSupervised,
    upstreamImagesByTag,
} from "./policies";
import { type ResourceUnderTest, violations } from "./testing";

/**
 * Every rule of the pack holds for Swarm services as for containers. A service's inputs have the shape
 * the Swarm renderer gives them (components/swarm/spec.ts), which is pulumi-docker v5's docker.Service:
 * service labels and container labels as label/value pairs, env as a map, mounts with a type, ports under
 * endpointSpec, the restart condition under taskSpec.restartPolicy.
 */

const DIGEST = `sha256:${"ab12".repeat(16)}`;
const PINNED = `frappe/erpnext:v15.88.1@${DIGEST}`;

type Obj = Record<string, unknown>;

/** A well-behaved service; each test breaks one thing (`container` and `task` merge into taskSpec). */
function service(
    stack: string,
    role: ContainerRole,
    parts: { container?: Obj; task?: Obj; service?: Obj } = {},
    extra: Partial<ResourceUnderTest> = {},
): ResourceUnderTest {
    return {
        type: SERVICE,
        name: `frappe-bench-${role}`,
        stack,
        props: {
            name: `frappe-${stack}-${role}`,
            labels: standardLabels(stack, role),
            taskSpec: {
                containerSpec: {
                    image: PINNED,
                    labels: standardLabels(stack, role),
                    env: { FRAPPE_SITE: "a" },
                    healthcheck: { tests: ["CMD-SHELL", "true"], interval: "10s" },
                    mounts: [
                        { type: "volume", source: `frappe-${stack}-sites`, target: "/home/frappe/frappe-bench/sites" },
                    ],
                    ...parts.container,
                },
                restartPolicy: { condition: "any", delay: "5s" },
                ...parts.task,
            },
            mode: { replicated: { replicas: 1 } },
            ...parts.service,
        },
        ...extra,
    };
}

/** Exactly one violation per entry of `expected`, each message containing every fragment of its entry. */
async function expectOnly(
    policy: { name: string },
    found: Promise<string[]>,
    ...expected: (string | string[])[]
): Promise<void> {
    const messages = await found;
    assert.equal(messages.length, expected.length, `${policy.name}: ${JSON.stringify(messages)}`);
    expected.forEach((e, i) => {
        for (const f of [e].flat()) {
            assert.ok(messages[i].includes(f), `"${messages[i]}" should mention "${f}"`);
        }
    });
}

describe("policy pack on Swarm services (docker.Service)", () => {
    it("production images: the bench image needs its digest, read from the service's own labels", async () => {
        const p = productionImagesPinned;
        await expectOnly(p, violations(p, service("production", "backend")));
        const unpinned = service("production", "backend", { container: { image: "frappe/erpnext:v15.88.1" } });
        await expectOnly(p, violations(p, unpinned), ['service "frappe-bench-backend"', "without a digest"]);
        // A production label inside a stack named otherwise is production too, as for containers.
        const labelled = service("prod-eu", "backend", { container: { image: "frappe/erpnext:v15.88.1" } });
        const config = { [p.name]: { productionStacks: ["prod-eu"] } };
        await expectOnly(p, violations(p, { ...labelled, config }), "without a digest");
    });

    it("production images: upstream roles by tag pass the mandatory rule and get the advisory reason", async () => {
        for (const role of ["db", "redis-cache", "redis-queue", "proxy"] as const) {
            const r = service("production", role, { container: { image: "mariadb:11.8" } });
            await expectOnly(productionImagesPinned, violations(productionImagesPinned, r));
            await expectOnly(upstreamImagesByTag, violations(upstreamImagesByTag, r), [
                `role ${role}`,
                "by tag: allowed because",
            ]);
        }
        const strict = { [productionImagesPinned.name]: { tagPinnedRoles: [] } };
        const db = service("production", "db", { container: { image: "mariadb:11.8" } }, { config: strict });
        await expectOnly(productionImagesPinned, violations(productionImagesPinned, db), "without a digest");
    });

    it("healthcheck and restart: a service without a healthcheck or with restart condition none is refused", async () => {
        const p = servicesSupervised;
        await expectOnly(p, violations(p, service("staging", "backend")));
        await expectOnly(
            p,
            violations(p, service("staging", "backend", { container: { healthcheck: undefined } })),
            "no healthcheck",
        );
        const none = service("staging", "backend", { task: { restartPolicy: { condition: "none" } } });
        await expectOnly(p, violations(p, none), 'restart condition "none"');
    });

    it("data stores publish no port, through the service's endpoint", async () => {
        const p = internalsNotExposed;
        const ports = { endpointSpec: { ports: [{ targetPort: 3306, publishedPort: 3306, publishMode: "ingress" }] } };
        await expectOnly(
            p,
            violations(p, service("staging", "db", { service: ports })),
            "publishes host ports 3306->3306/tcp",
        );
        await expectOnly(p, violations(p, service("staging", "frontend", { service: ports })));
    });

    it("the Docker socket: bind mounts and volumes whose options bind a host directory", async () => {
        const p = internalsNotExposed;
        const bind = { mounts: [{ type: "bind", source: "/var/run/docker.sock", target: "/s", readOnly: true }] };
        await expectOnly(p, violations(p, service("staging", "backend", { container: bind })), "the proxy included");
        await expectOnly(p, violations(p, service("staging", "proxy", { container: bind })), "read-only does not make");
        const sites = {
            mounts: [
                {
                    type: "volume",
                    source: "frappe-staging-sites",
                    target: "/home/frappe/frappe-bench/sites",
                    volumeOptions: {
                        driverName: "local",
                        driverOptions: { type: "none", o: "bind", device: "/var/run" },
                    },
                },
            ],
        };
        await expectOnly(
            p,
            violations(p, service("staging", "backend", { container: sites })),
            'volume options: "/var/run"',
        );
        const nfs = {
            ...sites.mounts[0],
            volumeOptions: { driverOptions: { type: "nfs", o: "addr=10.0.0.5", device: ":/var/run" } },
        };
        await expectOnly(p, violations(p, service("staging", "backend", { container: { mounts: [nfs] } })));
    });

    it("no plaintext secret in a service's env map, its labels or its containers' labels", async () => {
        const p = noPlaintextSecrets;
        await expectOnly(
            p,
            violations(
                p,
                service("staging", "backend", { container: { env: { DB_PASSWORD_FILE: "/run/secrets/db" } } }),
            ),
        );
        await expectOnly(
            p,
            violations(p, service("staging", "backend", { container: { env: { DB_PASSWORD: "hunter2" } } })),
            "sets env DB_PASSWORD to a plaintext value",
        );
        const labels = [...standardLabels("staging", "backend"), { label: "api_token", value: "t0k" }];
        await expectOnly(p, violations(p, service("staging", "backend", { service: { labels } })), "label api_token");
        await expectOnly(p, violations(p, service("staging", "backend", { container: { labels } })), "label api_token");
        const found = await violations(
            p,
            service("staging", "backend", { container: { env: { DB_PASSWORD: "hunter2" } } }),
        );
        assert.ok(!found.join("").includes("hunter2"), "the value is never printed");
    });
});
