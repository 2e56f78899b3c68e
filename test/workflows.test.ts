import { strict as assert } from "node:assert";
import { parseWorkflow, secretTable, secretsIn, shippedWorkflows, Workflow, workflowFindings } from "./workflows";

const STATE = ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "PULUMI_ACCESS_TOKEN", "PULUMI_CONFIG_PASSPHRASE"];
const SSH = ["DEPLOY_KNOWN_HOSTS", "DEPLOY_SSH_KEY"];
const REGISTRY = ["REGISTRY_SERVER", "REGISTRY_TOKEN", "REGISTRY_USERNAME"];

/**
 * Every step that sees a secret, and which. A change here is a change of who can do what: update
 * docs/ci-secrets.md and docs/security.md with it.
 */
const EXPECTED: Record<string, string[]> = {
    "ci.yml preview SSH access to the Docker host (docker:host = ssh://...)": SSH,
    "ci.yml preview pulumi preview --stack staging": [...STATE, "GITHUB_TOKEN", "PULUMI_BACKEND_URL"].sort(),
    "deploy-production.yml deploy Promote staging's image into Pulumi.production.yaml": [
        ...STATE,
        "PULUMI_BACKEND_URL",
    ].sort(),
    "deploy-production.yml deploy Registry login for the jobs' docker run": REGISTRY,
    "deploy-production.yml deploy SSH access to the Docker host (docker:host = ssh://...)": SSH,
    "deploy-production.yml deploy pulumi ${{ inputs.preview-only && 'preview' || 'up' }} --stack production": [
        ...STATE,
        "PULUMI_BACKEND_URL",
    ].sort(),
    "deploy-production.yml deploy Forget the SSH key and the registry login (matters on self-hosted runners)": [
        "REGISTRY_SERVER",
    ],
    "deploy-production.yml record actions/checkout": ["PROMOTION_PR_TOKEN"],
    "deploy-production.yml record Commit and open the PR": ["PROMOTION_PR_TOKEN"],
    "deploy-staging.yml deploy Registry login for the jobs' docker run": REGISTRY,
    "deploy-staging.yml deploy SSH access to the Docker host (docker:host = ssh://...)": SSH,
    "deploy-staging.yml deploy pulumi up --stack staging": [...STATE, "PULUMI_BACKEND_URL"].sort(),
    "deploy-staging.yml deploy Forget the SSH key and the registry login (matters on self-hosted runners)": [
        "REGISTRY_SERVER",
    ],
};

function shipped(file: string): Workflow {
    const w = shippedWorkflows().find((x) => x.file === file);
    assert.ok(w, file);
    return w;
}

/** The shipped workflow with one textual change, parsed again. */
function edited(file: string, from: string | RegExp, to: string): Workflow {
    const w = shipped(file);
    const text = w.text.replace(from, to);
    assert.notEqual(text, w.text, `the edit of ${file} applies`);
    return parseWorkflow(file, text);
}

describe("workflows: who sees which secret", () => {
    it("follows every rule", () => {
        assert.deepEqual(shippedWorkflows().flatMap(workflowFindings), []);
    });

    it("gives each secret to the steps in the table, and to no other step", () => {
        assert.deepEqual(secretTable(shippedWorkflows()), EXPECTED);
    });

    it("gives pull requests no production credential: staging preview only, from the preview environment", () => {
        const ci = shipped("ci.yml");
        assert.deepEqual(ci.triggers, ["pull_request"]);
        assert.deepEqual(
            ci.jobs.map((j) => [j.id, j.environment ?? null]),
            [
                ["check", null],
                ["preview", "preview"],
            ],
        );
        assert.doesNotMatch(ci.text, /stack-name: production|--stack production/);
    });

    it("deploys production from main only, by hand, in the production environment", () => {
        const prod = shipped("deploy-production.yml");
        assert.deepEqual(prod.triggers, ["workflow_dispatch"]);
        const deploy = prod.jobs.find((j) => j.id === "deploy");
        assert.equal(deploy?.environment, "production");
        assert.equal(deploy?.condition, "github.ref == 'refs/heads/main'");
    });
});

describe("workflows: the rules can fail", () => {
    it("reads secrets in every form, including the ones that hide the name", () => {
        assert.deepEqual(secretsIn({ a: "${{ secrets.B }} ${{secrets.A_1}}" }), ["A_1", "B"]);
        assert.deepEqual(secretsIn({ a: "${{ toJSON(secrets) }}" }), ["*"]);
        assert.deepEqual(secretsIn({ a: "${{ secrets['X'] }}" }), ["*"]);
    });

    it("refuses secrets in a job's env (npm ci and the tests would see them)", () => {
        const w = edited(
            "deploy-staging.yml",
            "    environment: staging\n",
            "    environment: staging\n    env:\n      PULUMI_CONFIG_PASSPHRASE: ${{ secrets.PULUMI_CONFIG_PASSPHRASE }}\n",
        );
        assert.match(workflowFindings(w).join("\n"), /secrets at job level \(PULUMI_CONFIG_PASSPHRASE\)/);
    });

    it("refuses a secret on a step that runs npm", () => {
        const w = edited(
            "ci.yml",
            "      - run: npm test\n",
            "      - run: npm test\n        env:\n          T: ${{ secrets.PULUMI_ACCESS_TOKEN }}\n",
        );
        const findings = workflowFindings(w).join("\n");
        assert.match(findings, /"npm test" runs dependencies' code and sees PULUMI_ACCESS_TOKEN/);
        assert.match(findings, /check: uses PULUMI_ACCESS_TOKEN without an environment/);
    });

    it("refuses the production environment in a pull_request workflow, and a production job off main", () => {
        const pr = edited("ci.yml", "    environment: preview\n", "    environment: production\n");
        assert.match(workflowFindings(pr).join("\n"), /a pull_request job takes the environment production/);
        const anyBranch = edited("deploy-production.yml", "    if: github.ref == 'refs/heads/main'\n", "");
        assert.match(workflowFindings(anyBranch).join("\n"), /production job without if: github.ref/);
        const onPush = edited("deploy-production.yml", /^on:\n/m, "on:\n  push:\n    branches: [main]\n");
        assert.match(workflowFindings(onPush).join("\n"), /production runs on push, workflow_dispatch/);
    });

    it("refuses triggers that hand secrets to forks", () => {
        const w = edited("ci.yml", /^on:\n {2}pull_request:/m, "on:\n  pull_request_target:");
        assert.match(workflowFindings(w).join("\n"), /trigger pull_request_target runs with secrets/);
    });

    it("refuses an action by tag, and a checkout that keeps its token", () => {
        const tag = edited("ci.yml", /actions\/setup-node@[0-9a-f]{40} # v5.0.0/, "actions/setup-node@v5");
        assert.match(workflowFindings(tag).join("\n"), /actions\/setup-node@v5 is not pinned/);
        const keep = edited("ci.yml", /\n {8}with:\n {10}persist-credentials: false/, "");
        assert.match(workflowFindings(keep).join("\n"), /check: actions\/checkout without persist-credentials/);
    });
});
