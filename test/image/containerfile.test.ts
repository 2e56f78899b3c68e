import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { APPS_JSON_SECRET_ID, BUILD_ARG_NAMES } from "../../components/image/buildPlan";
import { CONTAINERFILE_NAME, IMAGE_CONTEXT_DIR } from "../../components/image/frappeImage";

/** Instructions with line continuations joined and comments dropped. */
function instructions(text: string): string[] {
    const logical: string[] = [];
    let current = "";
    for (const raw of text.split("\n")) {
        const line = raw.trimEnd();
        if (current === "" && (line.trim() === "" || line.trim().startsWith("#"))) {
            continue;
        }
        if (line.endsWith("\\")) {
            current += `${line.slice(0, -1)} `;
            continue;
        }
        logical.push((current + line).trim());
        current = "";
    }
    return logical;
}

describe("images/Containerfile", () => {
    const text = fs.readFileSync(path.join(IMAGE_CONTEXT_DIR, CONTAINERFILE_NAME), "utf8");
    const lines = instructions(text);
    const byKeyword = (kw: string) => lines.filter((l) => l.toUpperCase().startsWith(`${kw} `));

    it("declares exactly the build args the program passes", () => {
        const declared = new Set(byKeyword("ARG").map((l) => l.slice(4).split("=")[0].trim()));
        assert.deepEqual([...declared].sort(), [...BUILD_ARG_NAMES].sort());
    });

    // frappe/frappe_docker v3.2.2 docker-bake.hcl:103-117: base is tagged with FRAPPE_VERSION, build with
    // ERPNEXT_VERSION, so the two FROMs need two tags.
    it("builds on <prefix>/build at the ERPNext release and <prefix>/base at the Frappe release", () => {
        assert.deepEqual(byKeyword("FROM"), [
            "FROM ${FRAPPE_IMAGE_PREFIX}/build:${BUILD_IMAGE_TAG} AS builder",
            "FROM ${FRAPPE_IMAGE_PREFIX}/base:${BASE_IMAGE_TAG} AS runtime",
        ]);
    });

    // frappe/frappe_docker v3.2.2 images/production/Containerfile:13 (useradd -ms /bin/bash frappe) and :141.
    it("gives the bench to frappe:frappe, as frappe_docker's images do (no group 0)", () => {
        const copies = byKeyword("COPY").filter((l) => l.includes("--from=builder"));
        assert.deepEqual(copies, [
            "COPY --from=builder --chown=frappe:frappe /home/frappe/frappe-bench /home/frappe/frappe-bench",
        ]);
        assert.doesNotMatch(text, /group 0/i);
    });

    it("receives apps.json only as a required BuildKit secret, in a step keyed by CACHE_BUST", () => {
        const runs = byKeyword("RUN").filter((l) => l.includes(`id=${APPS_JSON_SECRET_ID}`));
        assert.equal(runs.length, 1);
        assert.match(runs[0], new RegExp(`--mount=type=secret,id=${APPS_JSON_SECRET_ID},required=true`));
        assert.match(runs[0], /\$\{CACHE_BUST:\?/);
        assert.match(runs[0], /build-bench\.py\s+--apps \/run\/secrets\/apps_json/);
        for (const line of lines) {
            assert.doesNotMatch(line, /^(ARG|ENV)\s+APPS_JSON/i, line);
            assert.doesNotMatch(line, /^(COPY|ADD)\s.*apps\.json/i, line);
        }
    });

    it("copies only files that exist and that .dockerignore lets into the context", () => {
        const allowed = fs
            .readFileSync(path.join(IMAGE_CONTEXT_DIR, ".dockerignore"), "utf8")
            .split("\n")
            .filter((l) => l.startsWith("!"))
            .map((l) => l.slice(1).trim());
        const sources = byKeyword("COPY")
            .filter((l) => !l.includes("--from="))
            .map((l) => l.split(/\s+/).filter((w) => !w.startsWith("--")))
            .map((words) => words[1]);
        assert.deepEqual([...sources].sort(), [...allowed].sort());
        for (const source of sources) {
            assert.ok(fs.statSync(path.join(IMAGE_CONTEXT_DIR, source)).isFile(), source);
        }
    });

    it("keeps frappe_docker's runtime contract: entrypoint, command, volumes, user", () => {
        assert.deepEqual(byKeyword("ENTRYPOINT"), ['ENTRYPOINT ["/usr/local/bin/entrypoint.sh"]']);
        assert.deepEqual(byKeyword("CMD"), ['CMD ["start.sh"]']);
        assert.deepEqual(byKeyword("VOLUME"), [
            'VOLUME ["/home/frappe/frappe-bench/sites", "/home/frappe/frappe-bench/logs"]',
        ]);
        assert.equal(byKeyword("USER").pop(), "USER frappe");
    });

    it("does not pull a frontend by a moving tag", () => {
        assert.doesNotMatch(text, /^#\s*syntax=/m);
    });
});
