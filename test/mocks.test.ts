import { strict as assert } from "assert";
import { isCanonicalGoDuration, isSecretEnvelope, providerRejections, unwrapSecrets } from "./mocks";
import { formatGoDuration, parseGoDuration, previewBuildBlockers } from "./providerRules";

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
            /volumeName is ignored when hostPath is set/,
        ],
        ["port out of range", { ports: [{ internal: 70000 }] }, /port out of range/],
        ["env without =", { envs: ["JUSTKEY"] }, /KEY=VALUE/],
        ["relative upload", { uploads: [{ file: "x", content: "y" }] }, /absolute path/],
        ["map-shaped labels", { labels: [{ label: "a", value: 1 }] }, /label, value/],
        ["wait without healthcheck", { healthcheck: undefined }, /wait needs a healthcheck/],
        ["invalid name", { name: "-bad name" }, /invalid container name/],
        [
            "volume with container and path",
            { volumes: [{ fromContainer: "x", containerPath: "/d" }] },
            /both a container and a path/,
        ],
        [
            "volume without path or container",
            { volumes: [{ volumeName: "v" }] },
            /without container path or source container/,
        ],
        [
            "upload permissions 644",
            { uploads: [{ file: "/f", content: "y", permissions: "644" }] },
            /permissions 644 must match/,
        ],
        ["upload permissions 0999", { uploads: [{ file: "/f", content: "y", permissions: "0999" }] }, /must match/],
        ["upload without content", { uploads: [{ file: "/f", content: "" }] }, /one of 'content'.* must be set/],
        ["upload with two sources", { uploads: [{ file: "/f", content: "y", source: "/tmp/y" }] }, /only one of/],
        ["upload with bad base64", { uploads: [{ file: "/f", contentBase64: "not base64!" }] }, /not valid base64/],
        ["negative retries", { healthcheck: { ...good.healthcheck, retries: -1 } }, /retries must be an integer >= 0/],
        ["unnamed network", { networksAdvanced: [{ aliases: ["backend"] }] }, /networksAdvanced entry without a name/],
        ["uploads into a read-only root", { readOnly: true }, /rootfs is marked read-only/],
    ];
    for (const [what, patch, message] of bad) {
        it(`rejects ${what}`, () => {
            const errors = providerRejections(C, "c", { ...good, ...patch });
            assert.equal(errors.length, 1, errors.join("\n"));
            assert.match(errors[0], message);
        });
    }

    it("accepts every valid volume form: named, bind, fromContainer, anonymous", () => {
        const volumes = [
            { volumeName: "v", containerPath: "/data" },
            { hostPath: "/srv/x", containerPath: "/x", readOnly: true },
            { fromContainer: "frappe-staging-backend" },
            { containerPath: "/anonymous" },
        ];
        assert.deepEqual(providerRejections(C, "ok", { ...good, volumes }), []);
    });

    it("accepts each upload content source alone and octal permissions", () => {
        const uploads = [
            { file: "/a", content: "x", permissions: "0400" },
            { file: "/b", contentBase64: "eA==", permissions: "0755" },
            { file: "/c", source: "/tmp/c", executable: true },
        ];
        assert.deepEqual(providerRejections(C, "ok", { ...good, uploads }), []);
        assert.deepEqual(
            providerRejections(C, "ok", { ...good, networksAdvanced: [{ name: "n", aliases: ["a"] }] }),
            [],
        );
        assert.deepEqual(
            providerRejections(C, "ok", { ...good, healthcheck: { ...good.healthcheck, retries: 0 } }),
            [],
        );
        assert.deepEqual(providerRejections(C, "ok", { ...good, uploads: undefined, readOnly: true }), []);
    });

    describe("healthcheck durations: Go's Duration.String() spelling only", () => {
        // What Go writes back (go/src/time/time.go Duration.String); the provider reads the healthcheck
        // back with it (terraform-provider-docker v4.5.0 resource_docker_container_funcs.go:961-967).
        for (const d of ["0s", "500ms", "1.5s", "10s", "59s", "1m0s", "1m30s", "1h0m0s", "2h1m5s", "1.5µs", "1m1.5s"]) {
            it(`accepts ${d}`, () => {
                assert.equal(isCanonicalGoDuration(d), true);
                const hc = { ...good.healthcheck, interval: d };
                assert.deepEqual(providerRejections(C, "ok", { ...good, healthcheck: hc }), []);
            });
        }
        for (const d of [
            "60s",
            "90s",
            "3600s",
            "05s",
            "1m",
            "1h",
            "0m30s",
            "1h0m",
            "1000ms",
            "0.5s",
            "1.50s",
            "-1s",
            "",
            "10",
        ]) {
            it(`rejects ${JSON.stringify(d)}`, () => {
                assert.equal(isCanonicalGoDuration(d), false);
                const errors = providerRejections(C, "c", {
                    ...good,
                    healthcheck: { ...good.healthcheck, timeout: d },
                });
                assert.match(errors.join("\n"), /healthcheck.timeout .* is not a canonical Go duration/);
            });
        }
        it("formats like Go and parses Go's syntax", () => {
            assert.equal(formatGoDuration(90_000_000_000n), "1m30s");
            assert.equal(formatGoDuration(1_500n), "1.5µs");
            assert.equal(formatGoDuration(-2_000_000_000n), "-2s");
            assert.equal(parseGoDuration("1h2m3.5s"), 3_723_500_000_000n);
            assert.equal(parseGoDuration(".5s"), 500_000_000n);
            assert.equal(parseGoDuration("1x"), undefined);
            assert.equal(parseGoDuration("."), undefined);
        });
    });

    describe("command:local:Command logging (pulumi-command v1.2.1 local/logging.go:12-15)", () => {
        const T = "command:local:Command";
        for (const logging of ["stdout", "stderr", "stdoutAndStderr", "none"]) {
            it(`accepts ${logging}`, () => {
                assert.deepEqual(providerRejections(T, "ok", { create: "true", logging }), []);
            });
        }
        for (const logging of ["both", "stdoutandstderr", ""]) {
            it(`rejects ${JSON.stringify(logging)}`, () => {
                assert.match(providerRejections(T, "c", { create: "true", logging })[0], /logging must be one of/);
            });
        }
    });

    describe("docker-build:index:Image (pulumi-docker-build v0.0.22)", () => {
        const B = "docker-build:index:Image";
        const image = {
            push: false,
            exports: [{ registry: {} }],
            tags: ["ghcr.io/acme/erpnext:v15.88.1-0123456789abcdef"],
            context: { location: "images" },
            dockerfile: { location: "images/Containerfile" },
            buildArgs: { FRAPPE_BRANCH: "v15.88.1" },
        };
        it("accepts our context, Containerfile and tags", () => {
            assert.deepEqual(providerRejections(B, "ok", image), []);
            assert.deepEqual(
                providerRejections(B, "ok", { ...image, tags: ["localhost:5000/a/b:1.0@sha256:" + "a".repeat(64)] }),
                [],
            );
        });
        const badImages: [string, Record<string, unknown>, RegExp][] = [
            ["a missing context", { context: { location: "no-such-dir" } }, /not a valid directory or URL/],
            [
                "a missing Containerfile",
                { dockerfile: { location: "images/Nope" } },
                /dockerfile.location .* no such file/,
            ],
            ["a default Dockerfile that is absent", { dockerfile: undefined }, /images\/Dockerfile.*no such file/],
            [
                "both file and inline",
                { dockerfile: { location: "images/Containerfile", inline: "FROM x" } },
                /not both/,
            ],
            [
                "an uppercase repository",
                { tags: ["ghcr.io/Acme/erpnext:v1"] },
                /tags\[0\] .* not a valid image reference/,
            ],
            ["a tag with a space", { tags: ["acme/erpnext:v 1"] }, /not a valid image reference/],
            ["a 129-character tag", { tags: [`acme/erpnext:${"a".repeat(129)}`] }, /not a valid image reference/],
            ["a registry export without tags", { tags: [] }, /at least one tag or export name is needed/],
            ["push without tags", { tags: undefined, exports: undefined, push: true }, /at least one tag/],
        ];
        for (const [what, patch, message] of badImages) {
            it(`rejects ${what}`, () => {
                const errors = providerRejections(B, "i", { ...image, ...patch });
                assert.equal(errors.length, 1, errors.join("\n"));
                assert.match(errors[0], message);
            });
        }
        it("accepts no tags when nothing is pushed", () => {
            assert.deepEqual(providerRejections(B, "ok", { ...image, tags: [], exports: [{ cacheonly: {} }] }), []);
        });

        it("builds on preview only when normalize(true) changes nothing (image.go buildable())", () => {
            assert.deepEqual(previewBuildBlockers(image), []);
            assert.match(previewBuildBlockers({ ...image, push: true, exports: undefined }).join(), /push: true/);
            assert.match(previewBuildBlockers({ ...image, load: true }).join(), /load: true/);
            assert.match(
                previewBuildBlockers({ ...image, buildArgs: { NODE_VERSION: "" } }).join(),
                /buildArgs.NODE_VERSION is empty/,
            );
            assert.match(previewBuildBlockers({ ...image, tags: [""] }).join(), /tags has an empty entry/);
            assert.match(
                previewBuildBlockers({ ...image, registries: [{ address: "ghcr.io", password: "" }] }).join(),
                /registry/,
            );
            assert.match(previewBuildBlockers({ ...image, buildOnPreview: false }).join(), /buildOnPreview/);
        });
    });

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
