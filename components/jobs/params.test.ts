import { strict as assert } from "assert";
import { paramEnv, paramText } from "./params";

describe("job parameters as the scripts read them", () => {
    it("spells flags 1/0, numbers in decimal, lists space-separated, structures as JSON", () => {
        assert.deepEqual(
            paramEnv({
                SITE: "erp.example.com",
                SITE_SET_DEFAULT: true,
                BACKUP_WITH_FILES: false,
                DB_PORT: 3306,
                SITE_APPS: ["erpnext", "hrms"],
                WORKERS_JSON: { reports: { timeout: 3600 } },
            }),
            {
                SITE: "erp.example.com",
                SITE_SET_DEFAULT: "1",
                BACKUP_WITH_FILES: "0",
                DB_PORT: "3306",
                SITE_APPS: "erpnext hrms",
                WORKERS_JSON: '{"reports":{"timeout":3600}}',
            },
        );
        assert.equal(paramText([]), "");
        assert.equal(paramText({}), "{}");
    });
});
