import { strict as assert } from "assert";
import { Routing } from "../bench/model/types";
import { sitesRule, traefikRendering } from "./traefik";

const HTTPS: Routing = {
    proxy: "proxy",
    entry: { process: "frontend", port: 8080 },
    hosts: ["a.example.com", "b.example.com"],
    tls: { acmeEmail: "ops@example.com" },
    trustProxyNetworkIn: "UPSTREAM_REAL_IP_ADDRESS",
};

describe("Traefik rendering of the model's routing", () => {
    it("gives both providers the same settings, each under its own prefix", () => {
        const docker = traefikRendering("docker", HTTPS, "staging");
        const swarm = traefikRendering("swarm", HTTPS, "staging");
        assert.deepEqual(
            swarm.proxyArgs,
            docker.proxyArgs.map((a) => a.replace(/^--providers\.docker\b/, "--providers.swarm")),
        );
        assert.ok(docker.proxyArgs.includes("--providers.docker.network=frappe-staging-network"));
        assert.ok(swarm.proxyArgs.includes("--providers.swarm.network=frappe-staging-network"));
        const { "traefik.docker.network": dockerNetwork, ...dockerRest } = docker.entryLabels;
        const { "traefik.swarm.network": swarmNetwork, ...swarmRest } = swarm.entryLabels;
        assert.equal(dockerNetwork, "frappe-staging-network");
        assert.equal(swarmNetwork, dockerNetwork);
        assert.deepEqual(swarmRest, dockerRest);
    });

    it("routes the configured hosts over HTTPS, or any host over HTTP without TLS", () => {
        const https = traefikRendering("docker", HTTPS, "staging").entryLabels;
        assert.equal(https["traefik.http.routers.frappe-staging-frontend-https.rule"], sitesRule(HTTPS.hosts));
        assert.equal(https["traefik.http.services.frappe-staging-frontend.loadbalancer.server.port"], "8080");
        const http = traefikRendering("docker", { ...HTTPS, tls: undefined }, "staging");
        assert.equal(http.entryLabels["traefik.http.routers.frappe-staging-frontend-http.rule"], "HostRegexp(`^.+$`)");
        assert.ok(!http.proxyArgs.some((a) => a.includes("acme")));
        assert.equal(sitesRule(["a.example.com", "b.example.com"]), "Host(`a.example.com`) || Host(`b.example.com`)");
    });
});
