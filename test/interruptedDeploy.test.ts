import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { runJobScript, tempBench } from "./jobScript";

/**
 * What the program makes safe by itself after a deploy was interrupted (docs/interrupted-deploy.md). A job
 * whose earlier run is still active is refused (test/jobRun.test.ts); an upgrade cut short keeps the sites
 * closed and the next deploy finishes it (test/upgrade.test.ts); here, a site whose creation was cut short.
 */

const ENV = { SITES: "a.example.com:erpnext", DEFAULT_SITE: "a.example.com", DB_TYPE: "mariadb", DB_ROOT_USER: "root" };
const PASSWORDS = { "db-root-password": "root-pw", "admin-password": "admin-pw" };

describe("an interrupted deploy: a site whose new-site was killed", () => {
    it("is refused, not taken for a created site, with what to do", () => {
        const b = tempBench();
        const site = path.join(b.dir, "sites", "a.example.com");
        fs.mkdirSync(path.join(site, "locks"), { recursive: true });
        fs.writeFileSync(path.join(site, "site_config.json"), '{"db_name":"_x"}');
        fs.writeFileSync(path.join(site, "locks", "installing.lock"), "");
        const r = runJobScript(b, "sites.sh", ENV, { secrets: PASSWORDS });
        assert.equal(r.status, 1);
        assert.match(
            r.stdout,
            /installing\.lock is left from a new-site that was interrupted, so a\.example\.com is half made/,
        );
        assert.match(r.stderr, /sites: failed: a\.example\.com/);
        assert.match(r.stdout, /docs\/interrupted-deploy\.md \(step 5\)/);
        assert.deepEqual(r.calls, [], "no bench or Frappe command ran");
    });

    it("a site that new-site finished (no lock left) is left as it is", () => {
        const b = tempBench();
        const site = path.join(b.dir, "sites", "a.example.com");
        fs.mkdirSync(path.join(site, "locks"), { recursive: true });
        fs.mkdirSync(path.join(site, "private"), { recursive: true });
        fs.writeFileSync(path.join(site, "site_config.json"), '{"db_name":"_x"}');
        const r = runJobScript(
            b,
            "sites.sh",
            { ...ENV, FAKE_BENCH_INSTALLED: "frappe erpnext" },
            { secrets: PASSWORDS },
        );
        assert.equal(r.status, 0, r.stderr);
        assert.match(r.stdout, /a\.example\.com has every listed app/);
    });
});
