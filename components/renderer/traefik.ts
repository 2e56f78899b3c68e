import { CERT_DIR, PROXY_HTTP_PORT, PROXY_HTTPS_PORT } from "../bench/layout";
import { Routing, ServiceSpec } from "../bench/model/types";
import { dockerName, dockerPrefix, STACK_LABEL } from "../conventions/naming";

/**
 * The model's routing as Traefik v3 runs it, the one place that knows Traefik's flags and labels.
 * Settings as frappe_docker's compose.proxy.yaml (HTTP) and compose.https.yaml (HTTPS with Let's
 * Encrypt) set them, plus what a shared Docker host needs: each stack's Traefik only routes what carries
 * its own stack label, and router names carry the stack prefix so two stacks never clash. Traefik reads
 * the routing from labels through a provider: `docker` (containers) on one host, `swarm` (services) on
 * Swarm (doc.traefik.io/traefik/v3.6 providers/docker and providers/swarm: the same options under
 * their own prefix, and `traefik.<provider>.network` on the routed process).
 */

export type TraefikProvider = "docker" | "swarm";

/** A host path bound into the proxy's container. */
export interface HostBind {
    readonly hostPath: string;
    readonly containerPath: string;
    readonly readOnly: boolean;
}

/** What a renderer adds to the model for Traefik: the proxy's arguments and binds, the entry's labels. */
export interface TraefikRendering {
    readonly proxyArgs: readonly string[];
    /** Both providers watch the engine through its socket, read-only. */
    readonly proxyBinds: readonly HostBind[];
    readonly entryLabels: Readonly<Record<string, string>>;
}

const DOCKER_SOCKET: HostBind = {
    hostPath: "/var/run/docker.sock",
    containerPath: "/var/run/docker.sock",
    readOnly: true,
};

/** ``Host(`a`) || Host(`b`)``; Traefik v3 syntax (v2's `Host(`a`,`b`)` is gone). */
export function sitesRule(hosts: readonly string[]): string {
    return hosts.map((s) => `Host(\`${s}\`)`).join(" || ");
}

function proxyArgs(provider: TraefikProvider, routing: Routing, stack: string): string[] {
    const p = `--providers.${provider}`;
    const args = [
        `${p}=true`,
        `${p}.exposedbydefault=false`,
        `${p}.constraints=Label(\`${STACK_LABEL}\`,\`${stack}\`)`,
        `${p}.network=${dockerName(stack, "network")}`,
        `--entrypoints.web.address=:${PROXY_HTTP_PORT}`,
        "--ping=true",
    ];
    if (routing.tls) {
        args.push(
            "--entrypoints.web.http.redirections.entrypoint.to=websecure",
            "--entrypoints.web.http.redirections.entrypoint.scheme=https",
            `--entrypoints.websecure.address=:${PROXY_HTTPS_PORT}`,
            "--certificatesresolvers.main-resolver.acme.httpchallenge=true",
            "--certificatesresolvers.main-resolver.acme.httpchallenge.entrypoint=web",
            `--certificatesresolvers.main-resolver.acme.email=${routing.tls.acmeEmail}`,
            `--certificatesresolvers.main-resolver.acme.storage=${CERT_DIR}/acme.json`,
        );
    }
    return args;
}

/** Labels on the entry process that make Traefik route every site to it. */
function entryLabels(provider: TraefikProvider, routing: Routing, stack: string): Record<string, string> {
    const name = `${dockerPrefix(stack)}-${routing.entry.process}`;
    const labels: Record<string, string> = {
        "traefik.enable": "true",
        [`traefik.${provider}.network`]: dockerName(stack, "network"),
        [`traefik.http.services.${name}.loadbalancer.server.port`]: String(routing.entry.port),
    };
    if (routing.tls) {
        Object.assign(labels, {
            [`traefik.http.routers.${name}-https.entrypoints`]: "websecure",
            [`traefik.http.routers.${name}-https.rule`]: sitesRule(routing.hosts),
            [`traefik.http.routers.${name}-https.service`]: name,
            [`traefik.http.routers.${name}-https.tls`]: "true",
            [`traefik.http.routers.${name}-https.tls.certresolver`]: "main-resolver",
        });
    } else {
        Object.assign(labels, {
            [`traefik.http.routers.${name}-http.entrypoints`]: "web",
            // Any host, as upstream: nginx picks the site from the Host header (or the pinned site name).
            [`traefik.http.routers.${name}-http.rule`]: "HostRegexp(`^.+$`)",
            [`traefik.http.routers.${name}-http.service`]: name,
        });
    }
    return labels;
}

/** A process of the model with the host paths its container binds. */
export interface RoutedSpec extends ServiceSpec {
    readonly binds: readonly HostBind[];
}

/** Where a renderer runs Traefik: its provider, the stack, and the address range of the stack's network. */
export interface TraefikTarget {
    readonly provider: TraefikProvider;
    readonly stack: string;
    /** Whom the entry trusts X-Forwarded-For from when the model leaves it to the renderer. */
    readonly proxyNetworkRange: string;
}

/**
 * The model's process as Traefik needs it on `target`: the proxy gets its arguments and the socket,
 * the entry its routing labels and (unless the operator named an address) trust of the proxy's network.
 */
export function withRouting(spec: ServiceSpec, routing: Routing | undefined, target: TraefikTarget): RoutedSpec {
    if (routing === undefined) {
        return { ...spec, binds: [] };
    }
    const traefik = traefikRendering(target.provider, routing, target.stack);
    if (spec.key === routing.proxy) {
        return { ...spec, command: traefik.proxyArgs, binds: traefik.proxyBinds };
    }
    if (spec.key !== routing.entry.process) {
        return { ...spec, binds: [] };
    }
    const trust = routing.trustProxyNetworkIn;
    return {
        ...spec,
        env: trust === undefined ? spec.env : { ...spec.env, [trust]: target.proxyNetworkRange },
        labels: { ...spec.labels, ...traefik.entryLabels },
        binds: [],
    };
}

/** The model's routing for Traefik with `provider`, in the stack named `stack`. */
export function traefikRendering(provider: TraefikProvider, routing: Routing, stack: string): TraefikRendering {
    return {
        proxyArgs: proxyArgs(provider, routing, stack),
        proxyBinds: [DOCKER_SOCKET],
        entryLabels: entryLabels(provider, routing, stack),
    };
}
