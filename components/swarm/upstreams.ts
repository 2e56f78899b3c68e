import { FRONTEND_PORT } from "../bench/layout";
import { RoutedSpec } from "../renderer/traefik";

/**
 * With dnsrr endpoints, `backend` and `websocket` resolve to the addresses of their tasks, and the
 * frontend's nginx resolves them once, when it starts: frappe_docker's resources/nginx-template.conf
 * names them in `upstream` blocks (`server ${BACKEND} fail_timeout=0;`), whose server names nginx
 * resolves when it loads its configuration, a name with several addresses becoming several servers
 * (nginx ngx_http_upstream_module, `server`). nginx tries the next of them when one refuses, but once
 * every task it knew has been replaced (an update of the backend alone, a task Swarm restarted) it
 * answers 502 until it restarts. So on dnsrr the frontend's healthcheck asks through nginx: an answer
 * from behind it (200, 404 for an unknown host, 503 in maintenance) keeps the task healthy, a gateway
 * error or no answer makes it unhealthy, and Swarm replaces it with a task whose nginx resolves anew.
 */
export function throughUpstream(spec: RoutedSpec): RoutedSpec {
    const seconds = Math.max(1, spec.healthcheck.timeoutSeconds - 1);
    const ask =
        `code=$(curl -s -o /dev/null -m ${seconds} -w '%{http_code}' http://127.0.0.1:${FRONTEND_PORT}/api/method/ping); ` +
        `[ "$code" != 000 ] && [ "$code" != 502 ] && [ "$code" != 504 ]`;
    return { ...spec, healthcheck: { ...spec.healthcheck, tests: ["CMD-SHELL", ask] } };
}
