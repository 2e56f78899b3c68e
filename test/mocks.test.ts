import { strict as assert } from "assert";
import { isSecretEnvelope, providerRejections, unwrapSecrets } from "./mocks";

const C = "docker:index/container:Container";

/** The mocks must refuse what the real provider refuses; otherwise the bench tests prove nothing. */
describe("strict mocks", () => {
    const good = {
        image: "frappe/erpnext:v15.88.1",
        name: "frappe-staging-backend",
        restart: "unless-stopped",
        healthcheck: { tests: ["CMD", "true"], interval: "10s", timeout: "5s", startPeriod: "1m0s", retries: 3 },
        volumes: [{ volumeName: "v", containerPath: "/data" }],
        ports: [{ internal: 8080, external: 80 }],
        envs: ["A=1"],
        uploads: [{ file: "/run/secrets/x", content: "y" }],
        labels: [{ label: "frappe.role", value: "backend" }],
        wait: true,
    };

    it("accepts a well-formed container", () => {
        assert.deepEqual(providerRejections(C, "ok", good), []);
    });

    const bad: [string, Record<string, unknown>, RegExp][] = [
        ["missing image", { image: undefined }, /image is required/],
        ["bad restart value", { restart: "sometimes" }, /restart must be one of/],
        [
            "non-canonical duration",
            { healthcheck: { ...good.healthcheck, startPeriod: "1m" } },
            /startPeriod 1m is not a canonical Go duration/,
        ],
        [
            "relative container path",
            { volumes: [{ volumeName: "v", containerPath: "data" }] },
            /containerPath must be absolute/,
        ],
        [
            "two volume sources",
            { volumes: [{ volumeName: "v", hostPath: "/x", containerPath: "/d" }] },
            /exactly one of/,
        ],
        ["port out of range", { ports: [{ internal: 70000 }] }, /port out of range/],
        ["env without =", { envs: ["JUSTKEY"] }, /KEY=VALUE/],
        ["relative upload", { uploads: [{ file: "x", content: "y" }] }, /absolute path/],
        ["map-shaped labels", { labels: [{ label: "a", value: 1 }] }, /label, value/],
        ["wait without healthcheck", { healthcheck: undefined }, /wait needs a healthcheck/],
        ["invalid name", { name: "-bad name" }, /invalid container name/],
    ];
    for (const [what, patch, message] of bad) {
        it(`rejects ${what}`, () => {
            const errors = providerRejections(C, "c", { ...good, ...patch });
            assert.equal(errors.length, 1, errors.join("\n"));
            assert.match(errors[0], message);
        });
    }

    it("requires a password length and the build's push flag", () => {
        assert.match(
            providerRejections("random:index/randomPassword:RandomPassword", "p", {})[0],
            /length is required/,
        );
        assert.match(providerRejections("docker-build:index:Image", "i", {})[0], /push is required/);
    });

    it("unwraps secrets and records where they were", () => {
        const sig = { "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", value: "s3cret" };
        assert.equal(isSecretEnvelope(sig), true);
        const paths: string[] = [];
        assert.deepEqual(unwrapSecrets({ a: 1, b: sig, c: [{ d: sig }] }, "", paths), {
            a: 1,
            b: "s3cret",
            c: [{ d: "s3cret" }],
        });
        assert.deepEqual(paths, ["b", "c[0].d"]);
    });
});
