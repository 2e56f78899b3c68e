import { strict as assert } from "assert";
import fc from "fast-check";
import { distance } from "fastest-levenshtein";
import { allKeyPaths, knownKeysAt, nearestKey } from "./keys";
import { PLAIN_KEYS, SECRET_KEYS, stackSchema, STRUCTURED_KEYS } from "./schema";

const TOP = [...(knownKeysAt(stackSchema, []) ?? []), ...SECRET_KEYS];

describe("config key tree and nearest-key suggestions", () => {
    it("walks the schema through defaults, optionals and lists", () => {
        assert.deepEqual(knownKeysAt(stackSchema, ["sites", 0]), ["name", "apps"]);
        assert.deepEqual(knownKeysAt(stackSchema, ["workers", "custom", 3]), ["name", "queues", "replicas", "timeout"]);
        assert.equal(knownKeysAt(stackSchema, ["tag"]), undefined);
        assert.ok(allKeyPaths(stackSchema).includes("frontend.upstreamRealIp.recursive"));
    });

    it("knows which keys hold an object or a list from the schema itself", () => {
        assert.deepEqual(
            PLAIN_KEYS.filter((k) => !STRUCTURED_KEYS.has(k)),
            ["image", "tag", "digest", "sitesParallel", "restartPolicy"],
        );
        assert.ok(["sites", "workers", "build", "swarm"].every((k) => STRUCTURED_KEYS.has(k)));
    });

    it("a known key suggests itself; its other-case spelling suggests it", () => {
        for (const key of TOP) {
            assert.equal(nearestKey(key, TOP), key);
            assert.equal(nearestKey(key.toUpperCase(), TOP), key);
        }
    });

    it("one dropped, doubled or changed letter in a known key finds a key at most that far away", () => {
        fc.assert(
            fc.property(
                fc.constantFrom(...TOP.filter((k) => k.length >= 4)),
                fc.nat(),
                fc.constantFrom("drop", "double", "change"),
                (key, at, edit) => {
                    const i = at % key.length;
                    const typo =
                        edit === "drop"
                            ? key.slice(0, i) + key.slice(i + 1)
                            : edit === "double"
                              ? key.slice(0, i + 1) + key.slice(i)
                              : key.slice(0, i) + (key[i] === "x" ? "y" : "x") + key.slice(i + 1);
                    const found = nearestKey(typo, TOP);
                    assert.ok(found !== undefined, `${typo} found nothing`);
                    assert.ok(distance(typo.toLowerCase(), found.toLowerCase()) <= 1, `${typo} -> ${found}`);
                },
            ),
        );
    });

    it("suggests nothing for a word far from every key", () => {
        assert.equal(nearestKey("concurrency", TOP), undefined);
        assert.equal(nearestKey("zz", ["workers", "threads"]), undefined);
    });
});
