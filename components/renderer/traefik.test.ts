import { strict as assert } from "assert";
import { parse } from "yaml";
import { Routing, ServiceSpec } from "../bench/model/types";
import { readScript } from "../bench/scriptFiles";
import { PROXY_START, ROUTES_FILE, sitesRule, traefikRendering, withRouting } from "./traefik";

const HTTPS: Routing = {
    proxy: "proxy",
    entry: { process: "frontend", port: 8080 },
    hosts: ["a.example.com", "b.example.com"],
    tls: { acmeEmail: "ops@example.com" },
    trustProxyNetworkIn: "UPSTREAM_REAL_IP_ADDRESS",
};

type Routes = { http: { routers: Record<string, Record<string, unknown>>; services: Record<string, unknown> } };

function routes(routing: Routing): Routes {
    const file = traefikRendering(routing, "staging").proxyFiles.find((f) => f.path === ROUTES_FILE);
    assert.ok(file);
    return parse(file.content) as Routes;
}

/** The proxy as the model has it. */
const PROXY: ServiceSpec = {
    kind: "service",
    networks: ["edge"],
    key: "proxy",
    role: "proxy",
    image: { kind: "fixed", ref: "traefik:v3.6" },
    secretFiles: [],
    files: [],
    mounts: [{ volume: "cert-data", containerPath: "/letsencrypt" }],
    after: [],
    aliases: ["proxy"],
    env: {},
    ports: [],
    healthcheck: {
        tests: ["CMD", "traefik", "healthcheck", "--ping"],
        intervalSeconds: 10,
        timeoutSeconds: 5,
        startPeriodSeconds: 10,
        retries: 3,
    },
    labels: {},
    stopGraceSeconds: 10,
    waitHealthy: true,
    healthTimeoutSeconds: 60,
};

describe("Traefik rendering of the model's routing", () => {
    it("gives Traefik its routes as a file, no provider that watches Docker", () => {
        const docker = traefikRendering(HTTPS, "staging");
        assert.ok(docker.proxyArgs.includes(`--providers.file.filename=${ROUTES_FILE}`));
        assert.deepEqual(
            docker.proxyArgs.filter((a) => /--providers\.(docker|swarm)/.test(a)),
            [],
        );
        assert.deepEqual(
            docker.proxyFiles.map((f) => [f.path, f.executable]),
            [
                [ROUTES_FILE, false],
                [PROXY_START, true],
            ],
        );
        assert.equal(docker.proxyFiles[1].content, readScript("proxy-start.sh"));
    });

    it("routes the configured hosts over HTTPS with Let's Encrypt, or any host over HTTP", () => {
        assert.deepEqual(routes(HTTPS), {
            http: {
                routers: {
                    "frappe-staging-frontend-https": {
                        entryPoints: ["websecure"],
                        rule: sitesRule(HTTPS.hosts),
                        service: "frappe-staging-frontend",
                        tls: { certResolver: "main-resolver" },
                    },
                },
                services: {
                    "frappe-staging-frontend": { loadBalancer: { servers: [{ url: "http://frontend:8080" }] } },
                },
            },
        });
        const http = { ...HTTPS, tls: undefined };
        assert.deepEqual(routes(http).http.routers, {
            "frappe-staging-frontend-http": {
                entryPoints: ["web"],
                rule: "HostRegexp(`^.+$`)",
                service: "frappe-staging-frontend",
            },
        });
        assert.ok(!traefikRendering(http, "staging").proxyArgs.some((a) => a.includes("acme")));
        assert.equal(sitesRule(["a.example.com", "b.example.com"]), "Host(`a.example.com`) || Host(`b.example.com`)");
    });

    it("starts the proxy through its start script (nobody, certificates handed over) and binds nothing from the host", () => {
        const proxy = withRouting(PROXY, HTTPS, "staging");
        assert.deepEqual(proxy.entrypoint, ["/bin/sh", PROXY_START]);
        assert.deepEqual(proxy.env, { CERT_DIR: "/letsencrypt" });
        assert.deepEqual(proxy.binds, []);
        assert.deepEqual(proxy.labels, {});
    });
});
