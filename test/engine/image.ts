import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { BENCH_DIR, SITES_DIR } from "../../components/bench/layout";
import { BASH_STATIC_CANDIDATES, BUSYBOX_CANDIDATES, dockerOk, firstExisting, TEST_LABEL } from "./engine";

/**
 * A small local stand-in for the Frappe image, built with `docker import` (no registry, no pull):
 * static busybox (every applet linked into /bin) and static bash as /bin/bash, a `frappe` user with
 * uid/gid 1000, and /home/frappe/frappe-bench/sites owned by 1000 like in frappe/erpnext, so a named
 * volume mounted there starts out owned by the frappe user (Docker copies the image's directory,
 * owner included, into an empty volume on its first mount). Runs as `frappe` from the bench directory.
 */

function run(cmd: string, args: readonly string[]): string {
    const r = spawnSync(cmd, args, { encoding: "utf8" });
    if (r.error !== undefined || r.status !== 0) {
        throw new Error(`${cmd} ${args.join(" ")} failed: ${r.error?.message ?? r.stderr.trim()}`);
    }
    return r.stdout;
}

function staticBinary(candidates: readonly string[], pkg: string): string {
    const found = firstExisting(candidates);
    if (found === undefined) {
        throw new Error(`none of ${candidates.join(", ")} exists: apt-get install ${pkg}`);
    }
    return found;
}

/** Lays out the root filesystem under `root`; ownership is set when it is archived. */
function layOut(root: string): void {
    const busybox = staticBinary(BUSYBOX_CANDIDATES, "busybox-static");
    const bin = path.join(root, "bin");
    for (const dir of ["bin", "etc", "run", "tmp", path.join(".", SITES_DIR)]) {
        fs.mkdirSync(path.join(root, dir), { recursive: true });
    }
    fs.chmodSync(path.join(root, "tmp"), 0o1777);
    fs.copyFileSync(busybox, path.join(bin, "busybox"));
    fs.chmodSync(path.join(bin, "busybox"), 0o755);
    for (const applet of run(busybox, ["--list"]).split("\n")) {
        if (applet !== "" && applet !== "busybox" && applet !== "bash") {
            fs.symlinkSync("busybox", path.join(bin, applet));
        }
    }
    fs.copyFileSync(staticBinary(BASH_STATIC_CANDIDATES, "bash-static"), path.join(bin, "bash"));
    fs.chmodSync(path.join(bin, "bash"), 0o755);
    fs.writeFileSync(
        path.join(root, "etc", "passwd"),
        "root:x:0:0:root:/root:/bin/sh\nfrappe:x:1000:1000:frappe:/home/frappe:/bin/bash\n",
    );
    fs.writeFileSync(path.join(root, "etc", "group"), "root:x:0:\nfrappe:x:1000:\n");
}

/**
 * Builds the image as `tag`. The archive is made of two tar files (system files owned by root,
 * /home/frappe by 1000) joined with `tar --concatenate`, so building needs no root.
 */
export function buildTestImage(tag: string, runId: string): void {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "engine-image-"));
    try {
        const root = path.join(dir, "rootfs");
        layOut(root);
        const base = path.join(dir, "base.tar");
        const home = path.join(dir, "home.tar");
        const frappeHome = path.relative("/", path.dirname(BENCH_DIR));
        const owned = (id: number) => ["--numeric-owner", `--owner=${id}`, `--group=${id}`];
        run("tar", [
            "-C",
            root,
            ...owned(0),
            `--exclude=${frappeHome}`,
            "-cf",
            base,
            "bin",
            "etc",
            "run",
            "tmp",
            "home",
        ]);
        run("tar", ["-C", root, ...owned(1000), "-cf", home, frappeHome]);
        run("tar", ["--concatenate", "-f", base, home]);
        dockerOk([
            "import",
            ...["--change", "USER frappe"],
            ...["--change", `WORKDIR ${BENCH_DIR}`],
            ...["--change", "ENV PATH=/bin"],
            ...["--change", `LABEL ${TEST_LABEL}=${runId}`],
            base,
            tag,
        ]);
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
    const check = dockerOk(["run", "--rm", tag, "bash", "-c", `id -u; stat -c %u ${SITES_DIR}`]);
    if (check !== "1000\n1000") {
        throw new Error(`test image ${tag} is not as built (uid, sites owner: ${JSON.stringify(check)})`);
    }
}
