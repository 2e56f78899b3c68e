import { strict as assert } from "assert";
import { PROXY_START_CAPABILITIES } from "../components/renderer/traefik";
import { CapturedResource, runProgram } from "./harness";
import { scenario } from "./scenarios";

/**
 * The proxy, the one process facing the internet, runs with least privilege on both targets: every
 * capability dropped but what its start script needs to hand the certificates to nobody and become nobody
 * (CHOWN, SETGID, SETUID); on one host no-new-privileges too, on Swarm a read-only root. Nothing else of the
 * stack changes. What the container really does with these settings is test/engine/proxyStart.test.ts.
 */

type Obj = Record<string, unknown>;

function role(r: CapturedResource): string | undefined {
    const labels = (r.inputs.labels as { label: string; value: string }[] | undefined) ?? [];
    return labels.find((l) => l.label === "frappe.role")?.value;
}

describe("the proxy runs with least privilege", () => {
    it("one host: all capabilities dropped but CHOWN, SETGID, SETUID, and no-new-privileges; no other container", async () => {
        const run = await runProgram(scenario("postgres-https-three-sites"));
        assert.equal(run.error, undefined, run.error?.message);
        const containers = run.resources.filter((r) => r.type === "docker:index/container:Container");
        const proxy = containers.filter((r) => role(r) === "proxy");
        assert.equal(proxy.length, 1);
        assert.deepEqual(proxy[0].inputs.capabilities, { drops: ["ALL"], adds: [...PROXY_START_CAPABILITIES] });
        assert.deepEqual(proxy[0].inputs.securityOpts, ["no-new-privileges:true"]);
        // Its scripts and routes are uploads, which a read-only root refuses (test/providerRules.ts).
        assert.equal(proxy[0].inputs.readOnly, undefined);
        for (const other of containers.filter((r) => role(r) !== "proxy")) {
            assert.equal(other.inputs.capabilities, undefined, other.name);
            assert.equal(other.inputs.securityOpts, undefined, other.name);
        }
    });

    it("Swarm: all capabilities dropped but the three, and a read-only root; no other service", async () => {
        const run = await runProgram(scenario("swarm-postgres-https-three-sites"));
        assert.equal(run.error, undefined, run.error?.message);
        const services = run.resources.filter((r) => r.type === "docker:index/service:Service");
        const spec = (r: CapturedResource) => (r.inputs.taskSpec as Obj).containerSpec as Obj;
        const proxy = services.filter((r) => role(r) === "proxy");
        assert.equal(proxy.length, 1);
        assert.deepEqual(spec(proxy[0]).capDrops, ["ALL"]);
        assert.deepEqual(spec(proxy[0]).capAdds, [...PROXY_START_CAPABILITIES]);
        assert.equal(spec(proxy[0]).readOnly, true);
        for (const other of services.filter((r) => role(r) !== "proxy")) {
            for (const key of ["capDrops", "capAdds", "readOnly"]) {
                assert.equal(spec(other)[key], undefined, `${other.name} ${key}`);
            }
        }
    });
});
