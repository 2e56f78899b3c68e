import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { parse as parseYaml } from "yaml";
import { removalWarnings } from "../components/sites/removals";
import { readScript } from "../components/bench/scriptFiles";
import { REPO_ROOT, runProgram } from "./harness";

/** Sentences of the docs that a test can hold to the code (issue 16 item 10). */
const doc = (name: string) => fs.readFileSync(path.join(REPO_ROOT, "docs", name), "utf8");
const oneLine = (text: string) => text.replace(/\s+/g, " ");
/** Every TypeScript source of the program, joined. */
function componentSources(dir = path.join(REPO_ROOT, "components")): string {
    return fs
        .readdirSync(dir, { withFileTypes: true })
        .map((e) => {
            const full = path.join(dir, e.name);
            if (e.isDirectory()) return componentSources(full);
            return e.name.endsWith(".ts") && !e.name.endsWith(".test.ts") ? fs.readFileSync(full, "utf8") : "";
        })
        .join("\n");
}

describe("docs say what the code does", () => {
    it("security.md names the networks the program creates and who joins them, as the graph has them", async () => {
        const run = await runProgram({ stack: "staging", config: { tag: "v15.88.1" } });
        assert.equal(run.error, undefined, run.error?.message);
        const networks = run.resources.filter((r) => r.type === "docker:index/network:Network");
        const text = oneLine(doc("security.md"));
        for (const n of networks) {
            const named = String(n.inputs.name).replace("frappe-staging-", "frappe-<stack>-");
            assert.ok(text.includes(`\`${named}\``), `security.md names ${named}`);
        }
        const internal = networks.filter((n) => n.inputs.internal === true).map((n) => n.inputs.name);
        assert.deepEqual(internal, ["frappe-staging-data"]);
        assert.match(
            text,
            /`frappe-<stack>-data` holds the database, Redis and the processes and jobs that use them, and is Docker's `internal` network/,
        );
        assert.match(text, /`frappe-<stack>-edge` holds Traefik and the frontend \(nginx\) only/);
        const proxy = run.resources.find((r) => r.name === "frappe-bench-proxy" && r.type.endsWith("Container"));
        assert.deepEqual(
            (proxy?.inputs.networksAdvanced as { name: string }[]).map((x) => x.name),
            ["frappe-staging-edge"],
        );
    });

    it("the cut-over check reaches the site over HTTPS: with proxy.https, HTTP only answers a redirect", () => {
        const text = doc("from-frappe-docker.md");
        const yaml = /```yaml\n([\s\S]*?)```/.exec(text.slice(text.indexOf("## 3.")));
        const config = (parseYaml(yaml![1]) as { config: Record<string, unknown> }).config;
        assert.ok((config["frappe:proxy"] as { https?: unknown }).https, "the runbook's stack has proxy.https");
        // Traefik's rendering (wherever it lives) redirects the web entry point to HTTPS.
        assert.match(componentSources(), /redirections\.entrypoint\.scheme=https/);
        const checks = text.slice(text.indexOf("## 6."));
        assert.match(
            checks,
            /curl -fsS --resolve erp\.example\.com:443:127\.0\.0\.1 https:\/\/erp\.example\.com\/api\/method\/ping/,
        );
        assert.doesNotMatch(checks, /curl [^\n]*http:\/\/localhost\/api/);
    });

    it("the cut-over replaces the committed digest: it reads the project's own and sets frappe:digest", () => {
        const shipped = parseYaml(fs.readFileSync(path.join(REPO_ROOT, "Pulumi.production.yaml"), "utf8")) as {
            config: Record<string, unknown>;
        };
        assert.match(String(shipped.config["frappe:digest"]), /^sha256:/, "the committed file pins a digest");
        const text = doc("from-frappe-docker.md");
        assert.match(text.slice(text.indexOf("## 1."), text.indexOf("## 2.")), /docker image inspect .*RepoDigests/);
        const step3 = text.slice(text.indexOf("## 3."), text.indexOf("## 4."));
        assert.match(step3, /frappe:digest: sha256:/);
        assert.match(oneLine(step3), /Set `frappe:digest` to the project's digest/);
    });

    it("no page says the configurator writes root_password: it removes it", () => {
        assert.match(readScript("configurator.sh"), /jq 'del\(\.root_login, \.root_password\)'/);
        for (const page of ["passwords.md", "configuration.md"]) {
            const text = oneLine(doc(page));
            assert.doesNotMatch(text, /writes? (the new value as )?`?root_password/, page);
            assert.doesNotMatch(text, /superuser password, `root_password`, for `bench new-site`/, page);
        }
    });

    it("a site's removal hint keeps the root password off the command line, as docs/sites.md says", () => {
        const [hint] = removalWarnings(
            { sites: ["crm.example.com"], apps: [] },
            "frappe-production-backend",
            "production",
        );
        assert.doesNotMatch(hint, /--db-root-password|--root-password/);
        assert.match(
            hint,
            /bench drop-site crm\.example\.com --archived-sites-path \S+ \(it asks for the database root password, npm run password -- db --stack production,/,
        );
        assert.match(oneLine(doc("sites.md")), /typed at the prompt, it stays off command lines/i);
        const dropCommand = doc("sites.md")
            .split("\n")
            .find((l) => l.includes("bench drop-site"));
        assert.ok(dropCommand);
        assert.doesNotMatch(dropCommand, /--db-root-password/);
    });

    it("upgrade.md says Swarm runs maintenance-off behind Swarm's own gate, as the Swarm graph has it", () => {
        const swarm = fs.readFileSync(
            path.join(REPO_ROOT, "test", "graph", "swarm-postgres-https-three-sites.scripts.json"),
            "utf8",
        );
        const single = fs.readFileSync(
            path.join(REPO_ROOT, "test", "graph", "postgres-https-three-sites.scripts.json"),
            "utf8",
        );
        assert.ok(single.includes("GATE_ROLES"), "one host: maintenance-off runs the gate");
        assert.ok(swarm.includes('"GATE_SCRIPT": "swarm-gate.sh"'), "Swarm: maintenance-off runs Swarm's gate");
        const text = oneLine(doc("upgrade.md"));
        assert.match(
            text,
            /On \[Swarm\]\(swarm\.md\) step 8 runs Swarm's gate \(`components\/bench\/scripts\/swarm-gate\.sh`\)/,
        );
        assert.match(text, /the sites stay closed until the new release runs healthy everywhere/);
    });
});
