/**
 * npm run password -- <admin|db> --stack <name>
 *
 * Prints one of the stack's passwords: the Administrator password of new sites (`admin`) or the database
 * root password (`db`). The program exports no password as a stack output, because CI tools copy stack
 * outputs into places a later step can read (pulumi/actions v7.0.0 `src/main.ts` makes every output a step
 * output). So this reads the value where it lives: the secret stack config when the operator set one
 * (`pulumi config get`), otherwise the generated `RandomPassword` in the stack's state
 * (`pulumi stack export --show-secrets`, read in memory, never written to a file).
 */
import { execFileSync } from "node:child_process";
import { parseArgs } from "node:util";

/** The Deployment component's name (components/program.ts) and its generated passwords' resource names. */
const DEPLOYMENT_NAME = "frappe";
export const PASSWORDS = {
    admin: { configKey: "adminPassword", resource: `${DEPLOYMENT_NAME}-admin-password` },
    db: { configKey: "dbPassword", resource: `${DEPLOYMENT_NAME}-db-root-password` },
} as const;
export type PasswordKind = keyof typeof PASSWORDS;

const RANDOM_PASSWORD_TYPE = "random:index/randomPassword:RandomPassword";
/**
 * How a deployment spells a secret: `{"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270",
 * "plaintext": "<the value as JSON>"}` with --show-secrets (pulumi/pulumi pkg/resource/stack/deployment.go,
 * the SecretSig case: `plaintext` holds the JSON encoding of the value).
 */
const SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

export class PasswordError extends Error {}

function plain(value: unknown, what: string): string {
    if (typeof value === "string") {
        return value;
    }
    if (typeof value === "object" && value !== null && (value as Record<string, unknown>)[SIG_KEY] === SECRET_SIG) {
        const text = (value as Record<string, unknown>).plaintext;
        if (typeof text !== "string") {
            throw new PasswordError(`${what} is encrypted in the export; run pulumi stack export with --show-secrets`);
        }
        return plain(JSON.parse(text) as unknown, what);
    }
    throw new PasswordError(`${what} is not a string in the export`);
}

/** The generated password of `kind` in a `pulumi stack export --show-secrets` document. */
export function passwordFromExport(exported: unknown, kind: PasswordKind): string {
    const { resource } = PASSWORDS[kind];
    const resources = (exported as { deployment?: { resources?: unknown } } | null)?.deployment?.resources;
    if (!Array.isArray(resources)) {
        throw new PasswordError("the export has no deployment.resources (has the stack been deployed?)");
    }
    const found = resources.filter(
        (r: { type?: unknown; urn?: unknown }) =>
            r.type === RANDOM_PASSWORD_TYPE && typeof r.urn === "string" && r.urn.endsWith(`::${resource}`),
    ) as { outputs?: { result?: unknown } }[];
    if (found.length !== 1) {
        throw new PasswordError(
            `found ${found.length} ${RANDOM_PASSWORD_TYPE} named ${resource} in the stack's state (expected 1: ` +
                "the password is generated on the first pulumi up, unless it is set in the stack config)",
        );
    }
    return plain(found[0].outputs?.result, `${resource}.result`);
}

export interface PasswordIo {
    /** Runs pulumi with these arguments; stdout, or undefined when it exits non-zero. */
    pulumi(args: readonly string[]): string | undefined;
    print(line: string): void;
    error(line: string): void;
}

const defaultIo: PasswordIo = {
    pulumi(args) {
        try {
            return execFileSync("pulumi", [...args], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
        } catch {
            return undefined;
        }
    },
    print: (line) => process.stdout.write(`${line}\n`),
    error: (line) => process.stderr.write(`${line}\n`),
};

/** Runs the command; resolves to the process exit code. */
export function main(argv: readonly string[], io: PasswordIo = defaultIo): number {
    try {
        const { values, positionals } = parseArgs({
            args: [...argv],
            options: { stack: { type: "string" } },
            strict: true,
            allowPositionals: true,
        });
        const kind = positionals[0];
        if (positionals.length !== 1 || (kind !== "admin" && kind !== "db") || values.stack === undefined) {
            throw new PasswordError("usage: npm run password -- <admin|db> --stack <name>");
        }
        const stack = ["--stack", values.stack];
        const configured = io.pulumi(["config", "get", PASSWORDS[kind].configKey, ...stack]);
        if (configured !== undefined && configured.trim() !== "") {
            io.print(configured.replace(/\n$/, ""));
            return 0;
        }
        const exported = io.pulumi(["stack", "export", "--show-secrets", ...stack]);
        if (exported === undefined) {
            throw new PasswordError(
                `pulumi stack export --show-secrets ${stack.join(" ")} failed (logged in? passphrase set?)`,
            );
        }
        io.print(passwordFromExport(JSON.parse(exported) as unknown, kind));
        return 0;
    } catch (err) {
        if (err instanceof PasswordError || (err as { code?: string }).code?.startsWith("ERR_PARSE_ARGS")) {
            io.error(`password: ${(err as Error).message}`);
            return 1;
        }
        throw err;
    }
}

if (require.main === module) {
    process.exitCode = main(process.argv.slice(2));
}
