import { strict as assert } from "assert";
import { formatIssues } from "../components/config/issues";
import { parseStackConfig } from "../components/config/load";
import { CapturedResource, REPO_ROOT, runProgram } from "./harness";

/**
 * frappe:proxy.bindAddress: the host address the stack's published ports listen on. Unset, every interface
 * (frappe_docker's pwd.yml publishes `8080:8080`, so a first deploy answers at the machine's address); set, the
 * port of the proxy (or of the frontend without one) is published on that address only (docker.Container
 * ports[].ip). Swarm cannot do it, so the key is refused there. What the engine makes of it:
 * test/engine/publishedPorts.test.ts.
 */

const NFS = { type: "nfs", o: "addr=10.0.0.5,nfsvers=4,rw", device: ":/exports/frappe-sites" };

function parse(config: Record<string, unknown>) {
    const entries = Object.fromEntries(
        Object.entries({ tag: "v15.88.1", ...config }).map(([k, v]) => [
            `frappe:${k}`,
            typeof v === "string" ? v : JSON.stringify(v),
        ]),
    );
    return parseStackConfig({ stack: "staging", entries, isSecret: () => false, projectRoot: REPO_ROOT });
}

function refusal(config: Record<string, unknown>): string {
    const r = parse(config);
    assert.equal(r.config, undefined, "expected the config to be refused");
    assert.equal(r.issues.length, 1, formatIssues(r.issues));
    return formatIssues(r.issues).split("\n")[1];
}

function role(r: CapturedResource): string | undefined {
    const labels = (r.inputs.labels as { label: string; value: string }[] | undefined) ?? [];
    return labels.find((l) => l.label === "frappe.role")?.value;
}

async function publishedPorts(config: Record<string, unknown>): Promise<Record<string, unknown>> {
    const run = await runProgram({
        stack: "staging",
        config: { tag: "v15.88.1", sites: [{ name: "erp.example.com" }], ...config },
        secrets: { dbPassword: "db", adminPassword: "admin" },
    });
    assert.equal(run.error, undefined, run.error?.message);
    const out: Record<string, unknown> = {};
    for (const c of run.resources.filter((r) => r.type === "docker:index/container:Container")) {
        if (c.inputs.ports !== undefined && (c.inputs.ports as unknown[]).length > 0) {
            out[role(c) ?? c.name] = c.inputs.ports;
        }
    }
    return out;
}

describe("frappe:proxy.bindAddress", () => {
    for (const bad of ["10.0.0.0/8", "localhost", "", "999.1.1.1", "0.0.0.0:80", "erp.example.com"]) {
        it(`refuses ${JSON.stringify(bad)}, naming the key, the value and what it takes`, () => {
            const line = refusal({ proxy: { bindAddress: bad } });
            assert.ok(line.startsWith(`  - frappe:proxy.bindAddress: got ${JSON.stringify(bad)}; expected`), line);
            assert.match(line, /an IP address of this host, such as 127\.0\.0\.1/);
            assert.match(line, /unset to publish on every interface/);
        });
    }

    it("accepts an IPv4 or IPv6 address of the host", () => {
        for (const good of ["127.0.0.1", "0.0.0.0", "192.0.2.10", "::1", "::"]) {
            const r = parse({ proxy: { bindAddress: good } });
            assert.deepEqual(r.issues, [], formatIssues(r.issues));
            assert.equal(r.config?.proxy.bindAddress, good);
        }
    });

    it("is refused with frappe:swarm, with the reason and the alternative", () => {
        const line = refusal({
            proxy: { bindAddress: "127.0.0.1" },
            swarm: { sitesVolume: { options: NFS } },
        });
        assert.ok(line.startsWith('  - frappe:proxy.bindAddress: got "127.0.0.1"; expected no bind address'), line);
        assert.match(line, /port configuration has no address: moby\/swarmkit api\/types.proto PortConfig/);
        assert.match(line, /DOCKER-USER/);
    });

    it("unset, the proxy publishes on every interface (the provider's default ip 0.0.0.0)", async () => {
        assert.deepEqual(await publishedPorts({}), { proxy: [{ internal: 80, external: 80 }] });
    });

    it("publishes the proxy's ports, HTTP and HTTPS, on the address", async () => {
        const ports = await publishedPorts({
            proxy: { type: "traefik", https: { email: "ops@example.com" }, bindAddress: "192.0.2.10" },
        });
        assert.deepEqual(ports, {
            proxy: [
                { internal: 80, external: 80, ip: "192.0.2.10" },
                { internal: 443, external: 443, ip: "192.0.2.10" },
            ],
        });
    });

    it("publishes the frontend's port on the address when there is no proxy", async () => {
        const ports = await publishedPorts({ proxy: { type: "none", httpPort: 8081, bindAddress: "127.0.0.1" } });
        assert.deepEqual(ports, { frontend: [{ internal: 8080, external: 8081, ip: "127.0.0.1" }] });
    });
});
