import { strict as assert } from "node:assert";
import { main, PasswordIo, passwordFromExport } from "../../scripts/password";
import { runProgram } from "../harness";

/** A secret as `pulumi stack export --show-secrets` prints it (pulumi/pulumi pkg/resource/stack/deployment.go). */
const shown = (value: string) => ({
    "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270",
    plaintext: JSON.stringify(value),
});

/** A stack export of a mocked deploy: every resource with its URN, generated passwords shown. */
async function exportOfDeploy(): Promise<{ deployment: { resources: unknown[] } }> {
    const run = await runProgram({
        stack: "production",
        config: { tag: "v15.88.1", sites: [{ name: "erp.example.com" }] },
    });
    assert.equal(run.error, undefined, run.error?.message);
    return {
        deployment: {
            resources: run.resources.map((r) => ({
                urn: `urn:pulumi:production::frappe::frappe:index:Deployment$${r.type}::${r.name}`,
                type: r.type,
                outputs: r.type.startsWith("random:") ? { result: shown(`generated-${r.name}`) } : {},
            })),
        },
    };
}

function io(
    answers: Record<string, string | undefined>,
): PasswordIo & { out: string[]; err: string[]; calls: string[] } {
    const out: string[] = [];
    const err: string[] = [];
    const calls: string[] = [];
    return {
        out,
        err,
        calls,
        pulumi(args) {
            calls.push(args.join(" "));
            return answers[args.slice(0, 3).join(" ")];
        },
        print: (l) => out.push(l),
        error: (l) => err.push(l),
    };
}

describe("npm run password (scripts/password.ts)", () => {
    it("finds both generated passwords in the state of a deploy of this program", async () => {
        const exported = await exportOfDeploy();
        assert.equal(passwordFromExport(exported, "admin"), "generated-frappe-admin-password");
        assert.equal(passwordFromExport(exported, "db"), "generated-frappe-db-root-password");
    });

    it("prints the configured password when the stack config sets one, without reading the state", () => {
        const fake = io({ "config get adminPassword": "set-by-operator\n" });
        assert.equal(main(["admin", "--stack", "production"], fake), 0);
        assert.deepEqual(fake.out, ["set-by-operator"]);
        assert.deepEqual(fake.calls, ["config get adminPassword --stack production"]);
    });

    it("otherwise reads the generated one from pulumi stack export --show-secrets", async () => {
        const fake = io({ "stack export --show-secrets": JSON.stringify(await exportOfDeploy()) });
        assert.equal(main(["db", "--stack", "production"], fake), 0);
        assert.deepEqual(fake.out, ["generated-frappe-db-root-password"]);
        assert.deepEqual(fake.calls, [
            "config get dbPassword --stack production",
            "stack export --show-secrets --stack production",
        ]);
    });

    it("refuses what it cannot answer, saying why", () => {
        const usage = io({});
        assert.equal(main(["root"], usage), 1);
        assert.deepEqual(usage.err, ["password: usage: npm run password -- <admin|db> --stack <name>"]);
        const failed = io({});
        assert.equal(main(["admin", "--stack", "production"], failed), 1);
        assert.match(failed.err[0], /pulumi stack export --show-secrets --stack production failed/);
        assert.throws(
            () => passwordFromExport({ deployment: { resources: [] } }, "admin"),
            /found 0 .* frappe-admin-password/,
        );
        const encrypted = {
            deployment: {
                resources: [
                    {
                        urn: "urn:pulumi:p::frappe::x$random:index/randomPassword:RandomPassword::frappe-admin-password",
                        type: "random:index/randomPassword:RandomPassword",
                        outputs: {
                            result: {
                                "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270",
                                ciphertext: "x",
                            },
                        },
                    },
                ],
            },
        };
        assert.throws(() => passwordFromExport(encrypted, "admin"), /encrypted in the export/);
    });
});
