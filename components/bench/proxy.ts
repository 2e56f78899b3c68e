import { STACK_LABEL } from "../conventions/naming";

/**
 * Traefik v3 settings, as frappe_docker's compose.proxy.yaml (HTTP) and compose.https.yaml (HTTPS with
 * Let's Encrypt) set them, plus what a shared Docker host needs: each stack's Traefik only routes
 * containers of its own stack, and router names carry the stack prefix so two stacks never clash.
 */

export const TRAEFIK_IMAGE = "traefik:v3.6";
export const CERT_DIR = "/letsencrypt";
export const FRONTEND_PORT = 8080;

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
