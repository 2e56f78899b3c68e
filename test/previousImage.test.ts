import { strict as assert } from "assert";
import { ConfigError } from "../components/config/issues";
import { staleDigestIssues } from "../components/config/previousImage";
import { runProgram } from "./harness";

const OLD = `sha256:${"a".repeat(64)}`;
const NEW = `sha256:${"b".repeat(64)}`;

describe("a new frappe:tag with the previous tag's frappe:digest (issue 16 item 9)", function () {
    this.timeout(60_000);

    it("is refused, naming both tags, the digest and the fix", () => {
        const [issue] = staleDigestIssues({ tag: "v15.90.0", digest: OLD }, { tag: "v15.88.1", digest: OLD });
        assert.equal(issue.key, "frappe:digest");
        assert.match(
            issue.message ?? "",
            /frappe:tag changed from v15\.88\.1 to v15\.90\.0, but frappe:digest is still sha256:a{64}/,
        );
        assert.match(issue.message ?? "", /Set frappe:digest to the digest of v15\.90\.0 \(npm run promote/);
    });

    it("is accepted: a new tag with its own digest, the same tag again, a first deploy, a build, no digest", () => {
        const previous = { tag: "v15.88.1", digest: OLD };
        assert.deepEqual(staleDigestIssues({ tag: "v15.90.0", digest: NEW }, previous), []);
        assert.deepEqual(staleDigestIssues({ tag: "v15.88.1", digest: OLD }, previous), []);
        assert.deepEqual(staleDigestIssues({ tag: "v15.90.0", digest: OLD }, {}), []);
        assert.deepEqual(staleDigestIssues({ build: {}, digest: OLD }, previous), []);
        assert.deepEqual(staleDigestIssues({ tag: "v15.90.0" }, previous), []);
    });

    it("stops the program before any resource of the deployment registers, reading the last deploy's outputs", async () => {
        const config = {
            image: "ghcr.io/acme/erp",
            tag: "v15.90.0",
            digest: OLD,
            sites: [{ name: "erp.example.com", apps: ["erpnext"] }],
        };
        const refused = await runProgram({
            stack: "staging",
            config,
            previousOutputs: { imageTag: "v15.88.1", imageDigest: OLD },
        });
        assert.ok(refused.error instanceof ConfigError, String(refused.error));
        assert.match(refused.error.message, /frappe:tag changed from v15\.88\.1 to v15\.90\.0/);
        assert.deepEqual(
            refused.resources.map((r) => r.type),
            ["pulumi:pulumi:StackReference"],
        );
        const fine = await runProgram({
            stack: "staging",
            config: { ...config, digest: NEW },
            previousOutputs: { imageTag: "v15.88.1", imageDigest: OLD },
        });
        assert.equal(fine.error, undefined, fine.error?.message);
        assert.ok(fine.resources.length > 10);
    });
});
