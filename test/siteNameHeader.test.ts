import { strict as assert } from "assert";
import { siteNameHeader } from "../components/bench/model/proxy";
import { StackConfig } from "../components/config/load";

type Shape = Pick<StackConfig, "frontend" | "proxy" | "sites">;
const site = (name: string) => ({ name, apps: ["erpnext"] });
const frontend = (pinned?: string) =>
    ({ ...(pinned === undefined ? {} : { siteNameHeader: pinned }) }) as StackConfig["frontend"];
const header = (c: Shape) => siteNameHeader(c as StackConfig);

/**
 * Which site nginx serves (FRAPPE_SITE_NAME_HEADER), for any stack (issue 16 item 4, frappe_docker#711).
 * frappe_docker's resources/nginx-template.conf sends it as X-Frappe-Site-Name and uses it as server_name;
 * pwd.yml pins it to its one site (`FRAPPE_SITE_NAME_HEADER: frontend`), compose.yaml defaults it to $host.
 */
describe("the frontend's site name header", () => {
    it("pins the only site of a stack that publishes nginx itself, as frappe_docker's pwd.yml does", () => {
        assert.equal(
            header({ frontend: frontend(), proxy: { type: "none", httpPort: 8080 }, sites: [site("erp.localhost")] }),
            "erp.localhost",
        );
    });

    it("keeps $host with several sites, behind the in-stack Traefik, and with no site", () => {
        const none = { type: "none", httpPort: 8080 } as StackConfig["proxy"];
        assert.equal(
            header({ frontend: frontend(), proxy: none, sites: [site("a.example.com"), site("b.example.com")] }),
            "$host",
        );
        assert.equal(
            header({
                frontend: frontend(),
                proxy: { type: "traefik" },
                sites: [site("a.example.com")],
            }),
            "$host",
        );
        assert.equal(header({ frontend: frontend(), proxy: none, sites: [] }), "$host");
    });

    it("takes frappe:frontend.siteNameHeader when it is set, $host included", () => {
        const none = { type: "none", httpPort: 8080 } as StackConfig["proxy"];
        assert.equal(header({ frontend: frontend("$host"), proxy: none, sites: [site("a.example.com")] }), "$host");
        assert.equal(
            header({
                frontend: frontend("b.example.com"),
                proxy: { type: "traefik" },
                sites: [site("a.example.com"), site("b.example.com")],
            }),
            "b.example.com",
        );
    });
});
