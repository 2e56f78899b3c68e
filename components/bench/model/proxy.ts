import { StackConfig } from "../../config/load";
import { ProcessModel, PublishedPort, Routing, ServiceSpec, VolumeMount } from "./types";
import { BACKEND_PORT, CERT_DIR, FRONTEND_PORT, PROXY_HTTP_PORT, PROXY_HTTPS_PORT, SOCKETIO_PORT } from "../layout";
import { FRAPPE, LOGS, service, SITES, tcpCheck } from "./processes";

/**
 * How the sites are reached: the nginx frontend serves every site, and the in-stack Traefik (unless
 * proxy.type is none) takes HTTP, or HTTPS with Let's Encrypt, from outside and forwards to it. What
 * Traefik is told, and how, is the renderers' business (components/renderer/traefik.ts).
 */

const TRAEFIK_IMAGE = "traefik:v3.6";

/** The frontend's nginx variable listing the addresses it trusts X-Forwarded-For from. */
const REAL_IP_FROM = "UPSTREAM_REAL_IP_ADDRESS";

/**
 * Whom the frontend trusts X-Forwarded-For from: the operator's address when set; the in-stack proxy's
 * network (left to the renderer, see `routing`) when there is one; otherwise nobody (frappe_docker's
 * 127.0.0.1), so logs and rate limits see the client.
 */
function realIpFrom(c: StackConfig): Record<string, string> {
    const address = c.frontend.upstreamRealIp.address;
    if (address !== undefined) {
        return { [REAL_IP_FROM]: address };
    }
    return c.proxy.type === "traefik" ? {} : { [REAL_IP_FROM]: "127.0.0.1" };
}

/**
 * The site nginx serves (frappe_docker's FRAPPE_SITE_NAME_HEADER: the X-Frappe-Site-Name it sends and its
 * server_name). A stack that publishes the frontend itself (proxy.type none) with one site pins it, as
 * frappe_docker's pwd.yml does, so that http://localhost:<port> and http://<machine ip>:<port> reach the
 * site and not a 404 (frappe_docker#711); otherwise the request's Host ($host), which the in-stack
 * Traefik forwards only for configured sites and which tells several sites apart. An explicit
 * frappe:frontend.siteNameHeader wins.
 */
export function siteNameHeader(c: StackConfig): string {
    if (c.frontend.siteNameHeader !== undefined) {
        return c.frontend.siteNameHeader;
    }
    return c.proxy.type === "none" && c.sites.length === 1 ? c.sites[0].name : "$host";
}

/** A port the stack publishes, on frappe:proxy.bindAddress when set (every interface otherwise). */
function published(c: StackConfig, internal: number, external: number): PublishedPort {
    const address = c.proxy.bindAddress;
    return address === undefined ? { internal, external } : { internal, external, address };
}

/** The nginx frontend: routed by the proxy when there is one, otherwise published on `proxy.httpPort`. */
export function frontendService(c: StackConfig, after: readonly ProcessModel[]): ServiceSpec {
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
                FRAPPE_SITE_NAME_HEADER: siteNameHeader(c),
                ...realIpFrom(c),
                UPSTREAM_REAL_IP_HEADER: upstream.header,
                UPSTREAM_REAL_IP_RECURSIVE: upstream.recursive ? "on" : "off",
                PROXY_READ_TIMEOUT: String(c.frontend.proxyReadTimeout),
                CLIENT_MAX_BODY_SIZE: c.frontend.clientMaxBodySize,
            },
            mounts: [SITES, LOGS],
            healthcheck: {
                tests: ["CMD-SHELL", tcpCheck("127.0.0.1", FRONTEND_PORT)],
                intervalSeconds: 10,
                timeoutSeconds: 5,
                startPeriodSeconds: 10,
                retries: 5,
            },
            after,
        },
        {
            command: ["nginx-entrypoint.sh"],
            ports: c.proxy.type === "traefik" ? [] : [published(c, FRONTEND_PORT, c.proxy.httpPort ?? FRONTEND_PORT)],
            waitHealthy: true,
        },
    );
}

/** Traefik in front of the frontend (HTTP, or HTTPS with Let's Encrypt); none when proxy.type is none. */
export function proxyServices(c: StackConfig, frontend: ServiceSpec): ServiceSpec[] {
    if (c.proxy.type !== "traefik") {
        return [];
    }
    const ports = [published(c, PROXY_HTTP_PORT, c.proxy.httpPort ?? PROXY_HTTP_PORT)];
    const mounts: VolumeMount[] = [];
    if (c.proxy.https) {
        ports.push(published(c, PROXY_HTTPS_PORT, c.proxy.httpsPort ?? PROXY_HTTPS_PORT));
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
                healthcheck: {
                    tests: ["CMD", "traefik", "healthcheck", "--ping"],
                    intervalSeconds: 10,
                    timeoutSeconds: 5,
                    startPeriodSeconds: 10,
                    retries: 3,
                },
                after: [frontend],
            },
            { ports },
        ),
    ];
}

/** The routing intent of a bench with an in-stack proxy; undefined without one. */
export function routing(c: StackConfig, proxy: ServiceSpec | undefined, frontend: ServiceSpec): Routing | undefined {
    if (proxy === undefined) {
        return undefined;
    }
    return {
        proxy: proxy.key,
        entry: { process: frontend.key, port: FRONTEND_PORT },
        hosts: c.sites.map((s) => s.name),
        ...(c.proxy.https ? { tls: { acmeEmail: c.proxy.https.email } } : {}),
        ...(c.frontend.upstreamRealIp.address === undefined ? { trustProxyNetworkIn: REAL_IP_FROM } : {}),
    };
}
