import { strict as assert } from "assert";
import { formatIssues } from "../components/config/issues";
import { parseStackConfig } from "../components/config/load";
import { REPO_ROOT } from "./harness";

/**
 * Values that are well-formed but dangerous are refused before anything is deployed, each with the key,
 * the value (credentials masked), why it is dangerous and what to write instead.
 */

const NFS = { type: "nfs", o: "addr=10.0.0.5,nfsvers=4,rw", device: ":/exports/frappe-sites" };

/** Offsite backups need these secrets; they are set as secrets in every case below. */
const OFFSITE_SECRETS = { resticPassword: "r", s3AccessKeyId: "a", s3SecretAccessKey: "s" };

function parse(config: Record<string, unknown>) {
    const entries = Object.fromEntries(
        Object.entries({ tag: "v15.88.1", ...config, ...OFFSITE_SECRETS }).map(([k, v]) => [
            `frappe:${k}`,
            typeof v === "string" ? v : JSON.stringify(v),
        ]),
    );
    const isSecret = (key: string) => Object.keys(OFFSITE_SECRETS).some((s) => key === `frappe:${s}`);
    return parseStackConfig({ stack: "staging", entries, isSecret, projectRoot: REPO_ROOT });
}

/** The single error line of a refused config. */
function refusal(config: Record<string, unknown>): string {
    const r = parse(config);
    assert.equal(r.config, undefined, "expected the config to be refused");
    assert.equal(r.issues.length, 1, formatIssues(r.issues));
    return formatIssues(r.issues).split("\n")[1];
}

function accepted(config: Record<string, unknown>): void {
    const r = parse(config);
    assert.deepEqual(r.issues, [], formatIssues(r.issues));
}

describe("dangerous values are refused with the reason and the fix", () => {
    it("a Swarm sites volume that binds a host directory into every task", () => {
        const line = refusal({ swarm: { sitesVolume: { options: { type: "none", o: "bind", device: "/var/run" } } } });
        assert.match(
            line,
            /^ {2}- frappe:swarm\.sitesVolume\.options\.device: got "\/var\/run"; expected shared storage/,
        );
        assert.match(line, /Docker socket/);
        assert.match(line, /type: nfs/);
        assert.match(
            refusal({ swarm: { sitesVolume: { options: { type: "none", o: "rbind,ro", device: "/srv/sites" } } } }),
            /frappe:swarm\.sitesVolume\.options\.device: got "\/srv\/sites"/,
        );
        accepted({ swarm: { sitesVolume: { options: NFS } } });
        accepted({ swarm: { sitesVolume: { options: { ...NFS, o: "addr=10.0.0.5,nfsvers=4,rw,binder=1" } } } });
    });

    it("a real-IP trust of every address (any client could claim any IP)", () => {
        for (const address of ["0.0.0.0/0", "::/0", "10.0.0.0/00"]) {
            const line = refusal({ frontend: { upstreamRealIp: { address } } });
            assert.ok(line.startsWith(`  - frappe:frontend.upstreamRealIp.address: got "${address}"; expected`), line);
            assert.match(line, /any client could claim any IP/);
            // The fix names what to trust instead, and what unset means behind the in-stack proxy.
            assert.match(line, /your load balancer's address or range; unset, behind the in-stack proxy, its network/);
        }
        accepted({ frontend: { upstreamRealIp: { address: "172.16.0.0/12" } } });
        accepted({ frontend: { upstreamRealIp: { address: "10.0.0.0/8" } } });
        accepted({ frontend: { upstreamRealIp: { address: "fd00::/8" } } });
    });

    it("an offsite repository URL with credentials in it, shown masked", () => {
        const text = refusal({
            backup: { offsite: { repository: "s3:https://AKIAEXAMPLE:hunter2@s3.example.com/bucket/erp" } },
        });
        assert.match(
            text,
            /frappe:backup\.offsite\.repository: got "s3:https:\/\/\*\*\*@s3\.example\.com\/bucket\/erp"/,
        );
        assert.match(text, /a repository URL without credentials/);
        assert.match(text, /pulumi config set --secret s3AccessKeyId/);
        assert.doesNotMatch(text, /hunter2|AKIAEXAMPLE/);
        accepted({ backup: { offsite: { repository: "s3:https://s3.example.com/bucket/erp" } } });
    });
});
