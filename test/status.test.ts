import { strict as assert } from "assert";
import { age, parseSites, parseStatusArgs } from "../scripts/status";

/** The pure parts of npm run status; the whole command runs against a real engine in test/engine/status.test.ts. */
describe("npm run status: arguments and the sites volume's records", () => {
    it("takes --stack NAME (or --stack=NAME, -s NAME) and --json, and refuses anything else", () => {
        assert.deepEqual(parseStatusArgs(["--stack", "production"]), { stack: "production", json: false });
        assert.deepEqual(parseStatusArgs(["--stack=staging", "--json"]), { stack: "staging", json: true });
        assert.deepEqual(parseStatusArgs(["-s", "local"]), { stack: "local", json: false });
        assert.throws(() => parseStatusArgs([]), /which stack\? usage: npm run status -- --stack NAME/);
        assert.throws(() => parseStatusArgs(["--stack", "x", "--all"]), /unknown argument --all/);
    });

    it("joins the configured sites with what the volume holds, and ages the backups from the host's clock", () => {
        const text = [
            "site\terp.example.com\t1\t20250101_120000-erp-database.sql.gz\t1000",
            "site\told.example.com\t0\t\t",
            'status\toffsite.json\t{"finished": "1970-01-01T00:10:00Z", "ok": true, "snapshot": "a", "error": null}',
            'status\tdrill-erp.example.com.json\t{"finished": "nonsense", "ok": false, "error": "boom"}',
            "now\t4600",
        ].join("\n");
        const sites = parseSites(text, { "erp.example.com": ["erpnext"], "new.example.com": ["crm"] });
        assert.deepEqual(
            sites.map((s) => [
                s.site,
                s.configured,
                s.onVolume,
                s.maintenance,
                s.backupAgeSeconds,
                s.offsite?.ageSeconds,
            ]),
            [
                ["erp.example.com", true, true, true, 3600, 4000],
                ["new.example.com", true, false, false, undefined, 4000],
                ["old.example.com", false, true, false, undefined, 4000],
            ],
        );
        assert.deepEqual(sites[0].drill, { ageSeconds: undefined, ok: false, error: "boom" });
        assert.equal(sites[1].drill, undefined);
    });

    it("says ages the way people read them", () => {
        assert.deepEqual(
            [undefined, 30, 600, 7200, 3 * 86400].map((s) => age(s)),
            ["never", "30s ago", "10m ago", "2h ago", "3d ago"],
        );
    });
});
