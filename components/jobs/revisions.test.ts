import { strict as assert } from "assert";
import { createHash } from "crypto";
import * as fs from "fs";
import { SCRIPT_FILES, ScriptFile, SCRIPTS_DIR, scriptPath } from "../bench/scriptFiles";
import { COVERED_SCRIPTS, CoveredScript, SCRIPT_REVISIONS, UNREVISED_SCRIPTS, WrapperScript } from "./revisions";
import { JobScriptFile } from "../bench/scriptFiles";

const TABLE = "components/jobs/revisions.ts";

function sha256Of(file: ScriptFile): string {
    return createHash("sha256")
        .update(fs.readFileSync(scriptPath(file)))
        .digest("hex");
}

/** What a changed script's author must decide, or nothing when the text is the pinned one. */
function revisionProblem(
    file: ScriptFile,
    actual: string,
    pinned: string,
    owner: { readonly file: ScriptFile; readonly revision: number },
): string | undefined {
    if (actual === pinned) {
        return undefined;
    }
    const whose = owner.file === file ? "its revision" : `the revision of ${owner.file}, whose job runs it,`;
    return (
        `${file} has changed: its sha256 is ${actual}, ${TABLE} pins ${pinned}. Decide which it is:\n` +
        `  - what it does changed: bump ${whose} (${owner.revision} -> ${owner.revision + 1}) and pin sha256 ${actual}` +
        " (every stack runs those jobs again at its next deploy);\n" +
        `  - only its wording or formatting changed: pin sha256 ${actual} and keep the revision, declaring a` +
        " rewording (no job runs again)."
    );
}

describe("script revisions: a changed script is either a new revision or a declared rewording", () => {
    const revised = Object.keys(SCRIPT_REVISIONS) as (WrapperScript | JobScriptFile)[];
    const covered = Object.keys(COVERED_SCRIPTS) as CoveredScript[];

    for (const file of revised) {
        const pin = SCRIPT_REVISIONS[file];
        it(`${file} is the text pinned next to its revision ${pin.revision}`, () => {
            const problem = revisionProblem(file, sha256Of(file), pin.sha256, { file, revision: pin.revision });
            assert.equal(problem, undefined, problem);
        });
    }

    for (const file of covered) {
        const pin = COVERED_SCRIPTS[file];
        it(`${file} is the text pinned with ${pin.coveredBy}, whose revision covers it`, () => {
            const owner = { file: pin.coveredBy, revision: SCRIPT_REVISIONS[pin.coveredBy].revision };
            const problem = revisionProblem(file, sha256Of(file), pin.sha256, owner);
            assert.equal(problem, undefined, problem);
        });
    }

    it("accounts for every script file exactly once: revised, covered by a job's revision, or run from its text", () => {
        const accounted = [...revised, ...covered, ...UNREVISED_SCRIPTS].sort();
        assert.deepEqual(accounted, [...SCRIPT_FILES].sort());
        const onDisk = fs
            .readdirSync(SCRIPTS_DIR, { withFileTypes: true })
            .filter((e) => e.isFile())
            .map((e) => e.name)
            .sort();
        assert.deepEqual(onDisk, [...SCRIPT_FILES].sort(), "SCRIPT_FILES lists every file of the scripts folder");
    });

    it("says what to decide, naming the file, both hashes and the revision to bump", () => {
        const message = revisionProblem("health-gate.sh", "b".repeat(64), "a".repeat(64), {
            file: "maintenance-off.sh",
            revision: 1,
        });
        assert.ok(message);
        assert.match(
            message,
            /^health-gate\.sh has changed: its sha256 is b{64}, components\/jobs\/revisions\.ts pins a{64}/,
        );
        assert.match(
            message,
            /bump the revision of maintenance-off\.sh, whose job runs it, \(1 -> 2\) and pin sha256 b{64}/,
        );
        assert.match(message, /pin sha256 b{64} and keep the revision, declaring a rewording/);
        assert.equal(
            revisionProblem("migrate.sh", "a".repeat(64), "a".repeat(64), { file: "migrate.sh", revision: 1 }),
            undefined,
        );
    });
});
