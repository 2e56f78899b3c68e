import { stringify } from "yaml";
import { CERT_DIR, PROXY_HTTP_PORT, PROXY_HTTPS_PORT } from "../bench/layout";
import { Routing, PlainFile, ServiceSpec } from "../bench/model/types";
import { readScript } from "../bench/scriptFiles";
import { dockerPrefix } from "../conventions/naming";

/**
 * The model's routing as Traefik v3 runs it, the one place that knows Traefik's flags and routes. Entry
 * points and Let's Encrypt as frappe_docker's compose.proxy.yaml (HTTP) and compose.https.yaml (HTTPS) set
 * them, as arguments (Traefik's static configuration). The routes come from the stack config and never
 * change while the stack runs, so no discovery is needed: they are a file (Traefik's file provider,
 * `--providers.file.filename`; doc.traefik.io/traefik/v3.6 reference: routing configuration, other providers,
 * file: `http.routers.<name>` with `rule`, `entryPoints`, `service`, `tls.certResolver`, and
 * `http.services.<name>.loadBalancer.servers[].url`), and Traefik gets no Docker socket. It runs as nobody
 * (scripts/proxy-start.sh). The same on one Docker host and on Swarm: the frontend is reached by its name
 * on the edge network.
 */

/** A host path bound into a container. */
export interface HostBind {
    readonly hostPath: string;
    readonly containerPath: string;
    readonly readOnly: boolean;
}

/** What a renderer adds to the model for Traefik: the proxy's arguments and files. */
export interface TraefikRendering {
    readonly proxyArgs: readonly string[];
    /** The routes (the file provider's file) and the start script. */
    readonly proxyFiles: readonly PlainFile[];
    /** Environment of the proxy: where its certificates live, with HTTPS. */
    readonly proxyEnv: Readonly<Record<string, string>>;
}

export const TRAEFIK_DIR = "/etc/traefik";
export const ROUTES_FILE = `${TRAEFIK_DIR}/dynamic.yml`;
export const PROXY_START = `${TRAEFIK_DIR}/proxy-start.sh`;

/** ``Host(`a`) || Host(`b`)``; Traefik v3 syntax (v2's `Host(`a`,`b`)` is gone). */
export function sitesRule(hosts: readonly string[]): string {
    return hosts.map((s) => `Host(\`${s}\`)`).join(" || ");
}

function proxyArgs(routing: Routing): string[] {
    const args = [
        `--providers.file.filename=${ROUTES_FILE}`,
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

/** The routes, as the file provider reads them: every site to the entry process, by name on the edge network. */
export function routesFile(routing: Routing, stack: string): string {
    const name = `${dockerPrefix(stack)}-${routing.entry.process}`;
    const router = routing.tls
        ? {
              [`${name}-https`]: {
                  entryPoints: ["websecure"],
                  rule: sitesRule(routing.hosts),
                  service: name,
                  tls: { certResolver: "main-resolver" },
              },
          }
        : {
              // Any host, as upstream: nginx picks the site from the Host header (or the pinned site name).
              [`${name}-http`]: { entryPoints: ["web"], rule: "HostRegexp(`^.+$`)", service: name },
          };
    const service = {
        [name]: { loadBalancer: { servers: [{ url: `http://${routing.entry.process}:${routing.entry.port}` }] } },
    };
    return stringify({ http: { routers: router, services: service } });
}

/**
 * What the proxy's start script (scripts/proxy-start.sh) needs of root, and nothing more: CHOWN to hand the
 * certificate directory to nobody, SETGID and SETUID for su to become nobody (busybox su: setgroups, setgid,
 * setuid). Every other capability is dropped, and Traefik, once nobody, holds none. Spelled as the engine
 * stores them (the 20.10 engine keeps HostConfig.CapAdd as given, without adding CAP_; the provider reads
 * them back and compares).
 */
export const PROXY_START_CAPABILITIES = ["CHOWN", "SETGID", "SETUID"] as const;

/** A process that runs with least privilege: these capabilities only, none gained at exec. */
export interface Privileges {
    /** Capabilities kept; every other one is dropped. */
    readonly capabilities: readonly string[];
}

/** A process of the model with the host paths its container binds and, for the proxy, its privileges. */
export interface RoutedSpec extends ServiceSpec {
    readonly binds: readonly HostBind[];
    /** Set: drop every capability but these, gain none through exec, and a read-only root where the target can. */
    readonly privileges?: Privileges;
    /**
     * Set on the entry when it must trust X-Forwarded-For from the proxy's network: the environment variable
     * the renderer sets to the subnet the engine gave that network (the edge network, which only the proxy
     * and the entry join), so no other container can pass a forged client address.
     */
    readonly trustsProxyIn?: string;
}

/**
 * The model's process as Traefik needs it in the stack named `stack`, the same on every target: the proxy
 * gets its arguments, its routes file and its start script; the entry trusts the proxy's network (unless
 * the operator named an address).
 */
export function withRouting(spec: ServiceSpec, routing: Routing | undefined, stack: string): RoutedSpec {
    if (routing === undefined) {
        return { ...spec, binds: [] };
    }
    if (spec.key === routing.proxy) {
        const traefik = traefikRendering(routing, stack);
        return {
            ...spec,
            entrypoint: ["/bin/sh", PROXY_START],
            command: traefik.proxyArgs,
            env: { ...spec.env, ...traefik.proxyEnv },
            files: [...spec.files, ...traefik.proxyFiles],
            binds: [],
            privileges: { capabilities: PROXY_START_CAPABILITIES },
        };
    }
    const trust = routing.trustProxyNetworkIn;
    if (spec.key !== routing.entry.process || trust === undefined) {
        return { ...spec, binds: [] };
    }
    return { ...spec, binds: [], trustsProxyIn: trust };
}

/**
 * The model's routing for Traefik in the stack named `stack`: its flags, its routes file and its start
 * script. Every target runs Traefik this way (the file provider: no target's API is watched).
 */
export function traefikRendering(routing: Routing, stack: string): TraefikRendering {
    return {
        proxyArgs: proxyArgs(routing),
        proxyFiles: [
            { path: ROUTES_FILE, content: routesFile(routing, stack), executable: false },
            { path: PROXY_START, content: readScript("proxy-start.sh"), executable: true },
        ],
        proxyEnv: routing.tls ? { CERT_DIR } : {},
    };
}
