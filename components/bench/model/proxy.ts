import { StackConfig } from "../../config/load";
import { dockerName, dockerPrefix, STACK_LABEL } from "../../conventions/naming";
import { ServiceSpec, VolumeMount } from "./types";
import { BACKEND_PORT, FRONTEND_PORT, SOCKETIO_PORT } from "../layout";
import { FRAPPE, health, LOGS, service, SITES, tcpCheck } from "./processes";

/**
 * Traefik v3 settings, as frappe_docker's compose.proxy.yaml (HTTP) and compose.https.yaml (HTTPS with
 * Let's Encrypt) set them, plus what a shared Docker host needs: each stack's Traefik only routes
 * containers of its own stack, and router names carry the stack prefix so two stacks never clash.
 */

export const TRAEFIK_IMAGE = "traefik:v3.6";
export const CERT_DIR = "/letsencrypt";

export interface TraefikInput {
    readonly stack: string;
    /** Docker name prefix of the stack, used for router and service names. */
    readonly prefix: string;
    /** Docker network Traefik reaches the frontend on. */
    readonly network: string;
    readonly https?: { readonly email: string };
    readonly siteNames: readonly string[];
}

/** ``Host(`a`) || Host(`b`)``; Traefik v3 syntax (v2's `Host(`a`,`b`)` is gone). */
export function sitesRule(siteNames: readonly string[]): string {
    return siteNames.map((s) => `Host(\`${s}\`)`).join(" || ");
}

export function traefikCommand(input: TraefikInput): string[] {
    const args = [
        "--providers.docker=true",
        "--providers.docker.exposedbydefault=false",
        `--providers.docker.constraints=Label(\`${STACK_LABEL}\`,\`${input.stack}\`)`,
        `--providers.docker.network=${input.network}`,
        "--entrypoints.web.address=:80",
        "--ping=true",
    ];
    if (input.https) {
        args.push(
            "--entrypoints.web.http.redirections.entrypoint.to=websecure",
            "--entrypoints.web.http.redirections.entrypoint.scheme=https",
            "--entrypoints.websecure.address=:443",
            "--certificatesresolvers.main-resolver.acme.httpchallenge=true",
            "--certificatesresolvers.main-resolver.acme.httpchallenge.entrypoint=web",
            `--certificatesresolvers.main-resolver.acme.email=${input.https.email}`,
            `--certificatesresolvers.main-resolver.acme.storage=${CERT_DIR}/acme.json`,
        );
    }
    return args;
}

/** Labels on the frontend container that make Traefik route to it. */
export function frontendRoutingLabels(input: TraefikInput): Record<string, string> {
    const service = `${input.prefix}-frontend`;
    const router = `${input.prefix}-frontend`;
    const labels: Record<string, string> = {
        "traefik.enable": "true",
        "traefik.docker.network": input.network,
        [`traefik.http.services.${service}.loadbalancer.server.port`]: String(FRONTEND_PORT),
    };
    if (input.https) {
        Object.assign(labels, {
            [`traefik.http.routers.${router}-https.entrypoints`]: "websecure",
            [`traefik.http.routers.${router}-https.rule`]: sitesRule(input.siteNames),
            [`traefik.http.routers.${router}-https.service`]: service,
            [`traefik.http.routers.${router}-https.tls`]: "true",
            [`traefik.http.routers.${router}-https.tls.certresolver`]: "main-resolver",
        });
    } else {
        Object.assign(labels, {
            [`traefik.http.routers.${router}-http.entrypoints`]: "web",
            // Any host, as upstream: nginx picks the site from the Host header (or the pinned site name).
            [`traefik.http.routers.${router}-http.rule`]: "HostRegexp(`^.+$`)",
            [`traefik.http.routers.${router}-http.service`]: service,
        });
    }
    return labels;
}

/**
 * Where Docker's default address pools put bridge networks. Behind the in-stack Traefik, nginx
 * trusts X-Forwarded-For from there so logs and rate limits see the client, not the proxy; without
 * a proxy it keeps frappe_docker's 127.0.0.1 (trust nobody).
 */
export const DOCKER_PRIVATE_RANGE = "172.16.0.0/12";

function traefikInput(c: StackConfig): TraefikInput {
    return {
        stack: c.stack,
        prefix: dockerPrefix(c.stack),
        network: dockerName(c.stack, "network"),
        https: c.proxy.https,
        siteNames: c.sites.map((s) => s.name),
    };
}

/** The nginx frontend: routed by Traefik when there is one, otherwise published on `proxy.httpPort`. */
export function frontendService(c: StackConfig): ServiceSpec {
    const proxied = c.proxy.type === "traefik";
    const upstream = c.frontend.upstreamRealIp;
    return service(
        {
            key: "frontend",
            role: "frontend",
            image: FRAPPE,
            aliases: ["frontend"],
            env: {
                BACKEND: `backend:${BACKEND_PORT}`,
                SOCKETIO: `websocket:${SOCKETIO_PORT}`,
                FRAPPE_SITE_NAME_HEADER: c.frontend.siteNameHeader,
                UPSTREAM_REAL_IP_ADDRESS: upstream.address ?? (proxied ? DOCKER_PRIVATE_RANGE : "127.0.0.1"),
                UPSTREAM_REAL_IP_HEADER: upstream.header,
                UPSTREAM_REAL_IP_RECURSIVE: upstream.recursive ? "on" : "off",
                PROXY_READ_TIMEOUT: String(c.frontend.proxyReadTimeout),
                CLIENT_MAX_BODY_SIZE: c.frontend.clientMaxBodySize,
            },
            mounts: [SITES, LOGS],
            healthcheck: health({
                tests: ["CMD-SHELL", tcpCheck("127.0.0.1", FRONTEND_PORT)],
                intervalSeconds: 10,
                timeoutSeconds: 5,
                startPeriodSeconds: 10,
                retries: 5,
            }),
            after: ["backend", "websocket"],
        },
        {
            command: ["nginx-entrypoint.sh"],
            ports: proxied ? [] : [{ internal: FRONTEND_PORT, external: c.proxy.httpPort ?? FRONTEND_PORT }],
            labels: proxied ? frontendRoutingLabels(traefikInput(c)) : {},
            waitHealthy: true,
        },
    );
}

/** Traefik in front of the frontend (HTTP, or HTTPS with Let's Encrypt); none when proxy.type is none. */
export function proxyServices(c: StackConfig): ServiceSpec[] {
    if (c.proxy.type !== "traefik") {
        return [];
    }
    const ports = [{ internal: 80, external: c.proxy.httpPort ?? 80 }];
    const mounts: VolumeMount[] = [];
    if (c.proxy.https) {
        ports.push({ internal: 443, external: c.proxy.httpsPort ?? 443 });
        mounts.push({ volume: "cert-data", containerPath: CERT_DIR });
    }
    return [
        service(
            {
                key: "proxy",
                role: "proxy",
                image: { kind: "fixed", ref: c.proxy.image ?? TRAEFIK_IMAGE },
                aliases: ["proxy"],
                env: {},
                mounts,
                healthcheck: health({
                    tests: ["CMD", "traefik", "healthcheck", "--ping"],
                    intervalSeconds: 10,
                    timeoutSeconds: 5,
                    startPeriodSeconds: 10,
                    retries: 3,
                }),
                after: ["frontend"],
            },
            {
                command: traefikCommand(traefikInput(c)),
                binds: [{ hostPath: "/var/run/docker.sock", containerPath: "/var/run/docker.sock", readOnly: true }],
                ports,
                usernsMode: "host",
            },
        ),
    ];
}
