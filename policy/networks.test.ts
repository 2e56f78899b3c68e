import { strict as assert } from "node:assert";
import { type ContainerRole, standardLabels } from "../components/conventions/naming";
import { CONTAINER, proxyApartFromDatastores, SERVICE } from "./policies";
import { type ResourceUnderTest, stackViolations, UNKNOWN_STRING, UnknownValueError } from "./testing";

/**
 * proxy-apart-from-datastores, both ways, for containers (networksAdvanced by name, as one Docker host's
 * renderer gives them) and for Swarm services (taskSpec.networksAdvanceds by id).
 */

function container(stack: string, role: ContainerRole, networks: string[]): ResourceUnderTest {
    return {
        type: CONTAINER,
        name: `erp-${role}`,
        stack,
        props: {
            name: `frappe-${stack}-${role}`,
            labels: standardLabels(stack, role),
            networksAdvanced: networks.map((name) => ({ name, aliases: [role] })),
        },
    };
}

function service(stack: string, role: ContainerRole, networkIds: string[]): ResourceUnderTest {
    return {
        type: SERVICE,
        name: `erp-${role}`,
        stack,
        props: {
            name: `frappe-${stack}-${role}`,
            labels: standardLabels(stack, role),
            taskSpec: {
                containerSpec: { labels: standardLabels(stack, role) },
                networksAdvanceds: networkIds.map((id) => ({ id, aliases: [role] })),
            },
        },
    };
}

describe("policy: proxy-apart-from-datastores", () => {
    it("passes the split networks: the proxy on the edge, the data stores on the data network (one host)", async () => {
        const stack = [
            container("production", "proxy", ["frappe-production-edge"]),
            container("production", "frontend", ["frappe-production-edge", "frappe-production-bench"]),
            container("production", "backend", ["frappe-production-data", "frappe-production-bench"]),
            container("production", "db", ["frappe-production-data"]),
            container("production", "redis-cache", ["frappe-production-data"]),
        ];
        assert.deepEqual(await stackViolations(proxyApartFromDatastores, stack), []);
    });

    it("refuses a proxy on the database's or Redis's network, naming both and the network (one host)", async () => {
        const flat = ["frappe-production-network"];
        const found = await stackViolations(proxyApartFromDatastores, [
            container("production", "proxy", flat),
            container("production", "frontend", flat),
            container("production", "db", flat),
            container("production", "redis-queue", ["frappe-production-data"]),
            container("production", "redis-cache", flat),
        ]);
        assert.deepEqual(found.length, 2, found.join("\n"));
        assert.match(
            found[0],
            /^container "erp-proxy" \(role proxy\) shares network frappe-production-network with container "erp-db" \(role db\)/,
        );
        assert.match(found[1], /with container "erp-redis-cache" \(role redis-cache\)/);
    });

    it("holds on Swarm: services by network id, both ways", async () => {
        const ok = [
            service("production", "proxy", ["edge-id"]),
            service("production", "db", ["data-id"]),
            service("production", "redis-queue", ["data-id"]),
        ];
        assert.deepEqual(await stackViolations(proxyApartFromDatastores, ok), []);
        const found = await stackViolations(proxyApartFromDatastores, [
            service("production", "proxy", ["edge-id", "data-id"]),
            service("production", "db", ["data-id"]),
        ]);
        assert.equal(found.length, 1);
        assert.match(found[0], /^service "erp-proxy" \(role proxy\) shares network data-id with service "erp-db"/);
    });

    it("compares within one stack only: staging's proxy and production's database may share a host network name", async () => {
        const found = await stackViolations(proxyApartFromDatastores, [
            container("staging", "proxy", ["shared"]),
            container("production", "db", ["shared"]),
        ]);
        assert.deepEqual(found, []);
    });

    it("decides during a preview that builds the image: it reads labels and networks only", async () => {
        const building = { ...container("staging", "backend", ["frappe-staging-data"]) };
        building.props.image = UNKNOWN_STRING;
        const found = await stackViolations(proxyApartFromDatastores, [
            building,
            {
                ...container("staging", "proxy", ["frappe-staging-data"]),
                props: {
                    ...container("staging", "proxy", ["frappe-staging-data"]).props,
                    image: UNKNOWN_STRING,
                },
            },
            container("staging", "db", ["frappe-staging-data"]),
        ]);
        assert.equal(found.length, 1);
    });

    it("cannot decide while a network is not created yet (preview): the SDK reports that it cannot run", async () => {
        await assert.rejects(
            stackViolations(proxyApartFromDatastores, [
                service("production", "proxy", [UNKNOWN_STRING]),
                service("production", "db", ["data-id"]),
            ]),
            UnknownValueError,
        );
    });
});
