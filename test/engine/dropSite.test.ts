import { strict as assert } from "assert";
import * as path from "path";
import { removalWarnings } from "../../components/sites/removals";
import { REPO_ROOT } from "../harness";
import { debianImage, removeRunObjects, RUN_LABEL } from "./debianImage";
import { docker, dockerOk, RUN_ID } from "./engine";

/*
 * Real-engine tier: what happens to a dropped site's archive when the container is replaced. The
 * command the removal warning prints runs in a container of the tier's image with the sites volume
 * mounted, through the stand-in bench (test/fakebench, which applies drop-site's archive rule of
 * frappe/commands/site.py); then a new container looks for the archive.
 */

const SITES = `drop-sites-${RUN_ID}`;
const SITES_DIR = "/home/frappe/frappe-bench/sites";
const FAKEBENCH = path.join(REPO_ROOT, "test", "fakebench");

function inContainer(image: string, script: string, name?: string) {
    return docker([
        ...["run", ...(name === undefined ? ["--rm"] : ["--name", name]), ...RUN_LABEL],
        ...[
            "-v",
            `${SITES}:${SITES_DIR}`,
            "-v",
            `${FAKEBENCH}:/opt/fakebench:ro`,
            "-e",
            "PATH=/opt/fakebench:/usr/bin:/bin",
        ],
        ...[image, "bash", "-c", script],
    ]);
}

function addSite(image: string, site: string): void {
    const r = inContainer(
        image,
        `mkdir -p sites/${site}/private/backups && echo '{"db_name":"_x"}' > sites/${site}/site_config.json`,
    );
    assert.equal(r.status, 0, r.stderr);
}

describe("real Docker engine: a dropped site's archive and the container's lifetime", function () {
    this.timeout(300_000);
    let image = "";

    before(function () {
        image = debianImage(this);
        dockerOk(["volume", "create", ...RUN_LABEL, SITES]);
    });

    after(function () {
        if (image !== "") {
            assert.deepEqual(removeRunObjects(), []);
        }
    });

    it("keeps the archive of the warning's drop-site command on the sites volume, and loses bench's default one", () => {
        const [warning] = removalWarnings(
            { sites: ["old.example.com"], apps: [] },
            "frappe-production-backend",
            "production",
        );
        const command = /To really drop it: docker exec -it frappe-production-backend (bench drop-site [^(]*?) \(/.exec(
            warning,
        );
        assert.ok(command, warning);

        addSite(image, "old.example.com");
        const dropped = inContainer(image, command[1], `drop-warned-${RUN_ID}`);
        assert.equal(dropped.status, 0, dropped.stderr);
        addSite(image, "other.example.com");
        const byDefault = inContainer(image, "bench drop-site other.example.com", `drop-default-${RUN_ID}`);
        assert.equal(byDefault.status, 0, byDefault.stderr);
        assert.match(byDefault.stdout, /Moving site to archive under \/home\/frappe\/frappe-bench\/archived\/sites/);

        // The containers are replaced (a new image, a config change): only the volume carries over.
        dockerOk(["rm", `drop-warned-${RUN_ID}`, `drop-default-${RUN_ID}`]);
        const after = inContainer(
            image,
            "find sites/.archived /home/frappe/frappe-bench/archived -name site_config.json 2>/dev/null | sort",
        );
        assert.equal(after.stdout.trim(), "sites/.archived/old.example.com/site_config.json");
        const backup = inContainer(image, "ls sites/.archived/old.example.com/private/backups");
        assert.match(
            backup.stdout,
            /-old_example_com-database\.sql\.gz$/m,
            "drop-site's own backup went with the site",
        );
    });
});
