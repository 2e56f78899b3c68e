import { strict as assert } from "assert";
import * as net from "net";
import * as os from "os";
import { CapturedResource, runProgram } from "../harness";
import { cleanUp, docker, dockerOk, requireEngine, RUN_ID, TEST_LABEL } from "./engine";
import { buildTestImage } from "./image";

/**
 * frappe:proxy.bindAddress on the engine of this machine: the frontend of a stack without a proxy is
 * published the way the program renders it (docker.Container ports: internal, external and, when set, ip;
 * the provider passes ip as the binding's HostIP, default 0.0.0.0: kreuzwerker/terraform-provider-docker
 * v4.5.0 resource_docker_container.go `ports`), by a stand-in that answers on the frontend's port. Bound to
 * 127.0.0.1 it answers there and not at the machine's own address; unset it answers at both.
 */

const STACK = `ports-${RUN_ID}`;
const IMAGE = `frappe-pulumi-ports-test:${RUN_ID}`;
/** A port of its own per run: the engine is shared. */
const HTTP_PORT = 41000 + (parseInt(RUN_ID.slice(-4), 16) % 8000);

interface Port {
    readonly internal: number;
    readonly external: number;
    readonly ip?: string;
}

/** The frontend's published ports as the program renders them. */
async function frontendPorts(bindAddress?: string): Promise<Port[]> {
    const run = await runProgram({
        stack: STACK,
        config: {
            tag: "v15.88.1",
            sites: [{ name: "erp.example.com" }],
            proxy: { type: "none", httpPort: HTTP_PORT, ...(bindAddress === undefined ? {} : { bindAddress }) },
        },
        secrets: { dbPassword: "db", adminPassword: "admin" },
    });
    assert.equal(run.error, undefined, run.error?.message);
    const isFrontend = (r: CapturedResource) =>
        ((r.inputs.labels as { label: string; value: string }[] | undefined) ?? []).some(
            (l) => l.label === "frappe.role" && l.value === "frontend",
        );
    const frontend = run.resources.filter((r) => r.type === "docker:index/container:Container" && isFrontend(r));
    assert.equal(frontend.length, 1);
    return frontend[0].inputs.ports as Port[];
}

/** An address of this machine other than loopback and Docker's bridges. */
function machineAddress(): string | undefined {
    return Object.entries(os.networkInterfaces())
        .filter(([name]) => !/^(docker|br-|veth|lo)/.test(name))
        .flatMap(([, list]) => list ?? [])
        .find((a) => a.family === "IPv4" && !a.internal)?.address;
}

/** The body of an HTTP GET of host:port, or undefined when nothing answers within 3 s. */
function answer(host: string, port: number): Promise<string | undefined> {
    return new Promise((resolve) => {
        let data = "";
        const socket = net.connect({ host, port }, () => socket.write("GET / HTTP/1.0\r\n\r\n"));
        const done = (value: string | undefined) => {
            socket.destroy();
            resolve(value);
        };
        socket.setTimeout(3000, () => done(data === "" ? undefined : data));
        socket.on("data", (d) => (data += d.toString()));
        socket.on("end", () => done(/pong/.test(data) ? "pong" : undefined));
        socket.on("error", () => done(undefined));
    });
}

/** The stand-in frontend, published as the provider publishes the rendered ports. */
function publish(name: string, ports: readonly Port[]): void {
    const flags = ports.flatMap((p) => ["-p", `${p.ip ?? "0.0.0.0"}:${p.external}:${p.internal}`]);
    dockerOk([
        ...["run", "-d", "--name", name, "--label", `${TEST_LABEL}=${RUN_ID}`, ...flags, "--entrypoint", "sh"],
        ...[
            IMAGE,
            "-c",
            `mkdir -p /tmp/www && echo pong > /tmp/www/index.html && httpd -f -p ${ports[0].internal} -h /tmp/www`,
        ],
    ]);
}

async function answers(port: number): Promise<{ loopback?: string; machine?: string }> {
    const address = machineAddress();
    assert.ok(address, "this machine has an address besides loopback");
    // The stand-in needs a moment to listen.
    for (let i = 0; i < 20 && (await answer("127.0.0.1", port)) === undefined; i++) {
        await new Promise((r) => setTimeout(r, 250));
    }
    return { loopback: await answer("127.0.0.1", port), machine: await answer(address, port) };
}

describe("real engine: published ports listen on frappe:proxy.bindAddress", function () {
    before(function () {
        requireEngine(this);
        buildTestImage(IMAGE, RUN_ID);
    });

    afterEach(() => {
        if (docker(["info"]).status === 0) {
            for (const name of [`${STACK}-bound`, `${STACK}-open`]) {
                docker(["rm", "-f", name]);
            }
        }
    });

    after(() => {
        if (docker(["info"]).status === 0) {
            assert.deepEqual(cleanUp(STACK, IMAGE), []);
        }
    });

    it("bound to 127.0.0.1: answers on loopback, not at the machine's address", async () => {
        const ports = await frontendPorts("127.0.0.1");
        assert.deepEqual(ports, [{ internal: 8080, external: HTTP_PORT, ip: "127.0.0.1" }]);
        publish(`${STACK}-bound`, ports);
        assert.deepEqual(await answers(HTTP_PORT), { loopback: "pong", machine: undefined });
    });

    it("unset (every interface, as frappe_docker's pwd.yml): answers at both", async () => {
        const ports = await frontendPorts();
        assert.deepEqual(ports, [{ internal: 8080, external: HTTP_PORT }]);
        publish(`${STACK}-open`, ports);
        assert.deepEqual(await answers(HTTP_PORT), { loopback: "pong", machine: "pong" });
    });
});
