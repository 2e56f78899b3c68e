import { strict as assert } from "assert";
import { docker, dockerOk } from "./engine";
import { RUN_LABEL } from "./debianImage";

/**
 * Real database servers for the real-engine tier, from the tier's Debian image (Debian's
 * mariadb-server 10.11 and postgresql 15), each in a container on a test network under an alias,
 * with a root account reachable over the network the way the stack's `db` service (or an external
 * server) offers one: MariaDB `root`@`%`, PostgreSQL `postgres` with a password (scram-sha-256).
 */

export type Engine = "mariadb" | "postgres";

export interface DbServer {
    readonly engine: Engine;
    readonly container: string;
    readonly alias: string;
    readonly port: number;
    readonly rootUser: string;
    readonly rootPassword: string;
}

const PG_BIN = "/usr/lib/postgresql/15/bin";

/** The server's start command; the root password arrives in $ROOT_PW. */
const START: Record<Engine, string> = {
    mariadb:
        "mariadb-install-db --user=mysql --datadir=/var/lib/mysql --auth-root-authentication-method=normal > /dev/null && " +
        "exec mariadbd --datadir=/var/lib/mysql --bind-address=0.0.0.0 --port=3306 --skip-name-resolve",
    postgres:
        `printf '%s' "$ROOT_PW" > /tmp/pw && ${PG_BIN}/initdb -D /tmp/pg -U postgres --pwfile=/tmp/pw -A scram-sha-256 > /dev/null && ` +
        "echo 'host all all 0.0.0.0/0 scram-sha-256' >> /tmp/pg/pg_hba.conf && rm /tmp/pw && " +
        `exec ${PG_BIN}/postgres -D /tmp/pg -c listen_addresses='*' -k /tmp`,
};

/** Starts a server and waits until it answers; its root account then has `rootPassword`. */
export async function startServer(
    engine: Engine,
    image: string,
    opts: { name: string; network: string; alias: string; rootPassword: string },
): Promise<DbServer> {
    const user = engine === "mariadb" ? "mysql" : "postgres";
    dockerOk([
        ...["run", "-d", ...RUN_LABEL, "--name", opts.name, "--user", user],
        ...["--network", opts.network, "--network-alias", opts.alias, "-e", `ROOT_PW=${opts.rootPassword}`],
        ...[image, "bash", "-c", START[engine]],
    ]);
    const server: DbServer = {
        engine,
        container: opts.name,
        alias: opts.alias,
        port: engine === "mariadb" ? 3306 : 5432,
        rootUser: engine === "mariadb" ? "root" : "postgres",
        rootPassword: opts.rootPassword,
    };
    for (let i = 0; i < 120; i++) {
        if (docker(["exec", opts.name, ...ping(engine)]).status === 0) {
            if (engine === "mariadb") {
                // As the mariadb image's MARIADB_ROOT_PASSWORD: root from any host, with a password.
                asRoot(
                    server,
                    `CREATE USER 'root'@'%' IDENTIFIED BY '${sqlString(opts.rootPassword)}';
                    GRANT ALL PRIVILEGES ON *.* TO 'root'@'%' WITH GRANT OPTION;`,
                );
            }
            return server;
        }
        await new Promise((r) => setTimeout(r, 500));
    }
    assert.fail(`${engine} in ${opts.name} did not start: ${docker(["logs", "--tail", "20", opts.name]).stderr}`);
}

/** A MariaDB string literal's content: backslashes and single quotes escaped. */
function sqlString(value: string): string {
    return value.replace(/\\/g, "\\\\").replace(/'/g, "''");
}

function ping(engine: Engine): string[] {
    return engine === "mariadb" ? ["mariadb-admin", "ping", "--silent"] : [`${PG_BIN}/pg_isready`, "-q", "-h", "/tmp"];
}

/** Runs SQL as the server's root account inside its container (socket), in `database` if given. */
export function asRoot(server: DbServer, sql: string, database?: string): string {
    const args =
        server.engine === "mariadb"
            ? ["mariadb", "-uroot", "--batch", "--skip-column-names", ...(database ? [database] : [])]
            : [
                  "psql",
                  "-X",
                  "-q",
                  "-A",
                  "-t",
                  "-v",
                  "ON_ERROR_STOP=1",
                  "-h",
                  "/tmp",
                  "-U",
                  "postgres",
                  "-d",
                  database ?? "postgres",
              ];
    const env = server.engine === "postgres" ? ["-e", `PGPASSWORD=${server.rootPassword}`] : [];
    return dockerOk(["exec", "-i", ...env, server.container, ...args], sql);
}

/** The databases whose name starts with drill_ (scratch databases of the restore drills). */
export function scratchDatabases(server: DbServer): string[] {
    const sql =
        server.engine === "mariadb"
            ? "SHOW DATABASES LIKE 'drill\\_%'"
            : "SELECT datname FROM pg_database WHERE datname LIKE 'drill\\_%'";
    return asRoot(server, sql)
        .split("\n")
        .filter((l) => l !== "");
}
