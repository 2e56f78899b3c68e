import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { mountWithDriver } from "../components/jobs/jobRun";

/**
 * Against the real Docker engine of this machine: the `--mount` a Swarm job uses for the shared sites
 * volume is parsed by the Docker CLI as intended (a CSV record, so NFS's comma-separated `o` survives
 * quoted), and the engine creates the volume with exactly the driver and options the services use.
 * tmpfs options stand in for NFS here (no NFS server), through the same local driver and the same code.
 */

const tag = `frappe-swarm-mount-test:${process.pid}`;
const volume = `frappe-swarm-mount-test-${process.pid}`;

function docker(...args: string[]): { status: number | null; stdout: string; stderr: string } {
    return spawnSync("docker", args, { encoding: "utf8" });
}

describe("Swarm jobs mount the shared sites volume (real Docker engine)", function () {
    this.timeout(60000);
    before(() => {
        assert.equal(docker("info").status, 0, "this test needs the Docker engine (docker info)");
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "swarm-mount-"));
        fs.mkdirSync(path.join(dir, "bin"));
        fs.copyFileSync("/bin/busybox", path.join(dir, "bin", "busybox"));
        const tar = spawnSync("tar", ["-C", dir, "-cf", "-", "bin"], { maxBuffer: 64 * 1024 * 1024 });
        const imported = spawnSync("docker", ["import", "-", tag], { input: tar.stdout });
        assert.equal(imported.status, 0, String(imported.stderr));
    });
    after(() => {
        docker("volume", "rm", "-f", volume);
        docker("image", "rm", "-f", tag);
    });

    it("creates the volume with the driver options, commas and all, and the job can write to it", () => {
        const options = { type: "tmpfs", device: "tmpfs", o: "size=8m,uid=1000,mode=0750" };
        const mount = mountWithDriver(volume, "/sites", false, { driver: "local", options });
        const r = docker(
            "run",
            "--rm",
            "--mount",
            mount,
            tag,
            "/bin/busybox",
            "sh",
            "-c",
            "echo ok > /sites/x && cat /sites/x && /bin/busybox stat -c %u:%a /sites",
        );
        assert.equal(r.status, 0, r.stderr);
        assert.equal(r.stdout, "ok\n1000:750\n");
        const inspect = JSON.parse(docker("volume", "inspect", volume).stdout) as {
            Driver: string;
            Options: Record<string, string>;
        }[];
        assert.equal(inspect[0].Driver, "local");
        assert.deepEqual(inspect[0].Options, options);
    });

    it("fails the job when the options are wrong, instead of running on an empty local directory", () => {
        docker("volume", "rm", "-f", volume);
        const mount = mountWithDriver(volume, "/sites", false, {
            driver: "local",
            options: { type: "nfs", device: ":/nowhere", o: "addr=127.0.0.254,nfsvers=4,soft,timeo=10,retrans=1" },
        });
        const r = docker("run", "--rm", "--mount", mount, tag, "/bin/busybox", "true");
        assert.notEqual(r.status, 0, "a sites volume that cannot be mounted must fail the job");
    });
});
