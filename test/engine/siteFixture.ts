import { asRoot, DbServer } from "./dbServers";
import { RUN_LABEL } from "./debianImage";
import { dockerOk } from "./engine";

/**
 * A small Frappe-like site database on a real server, and its backup made the way Frappe makes one
 * (frappe/utils/backups.py take_dump): a gzip member with Frappe's header line, then the dump piped
 * through gzip and appended (`mysqldump --single-transaction --quick --lock-tables=false -u <db user>
 * -p<password> <db> -h <host> -P <port> | gzip >> file`, or `pg_dump postgres://user:pw@host:port/db |
 * gzip >> file`), as the site's own database user, into the site's directory of sites/.backups.
 */

export const SITES_DIR = "/home/frappe/frappe-bench/sites";

export interface Site {
    readonly name: string;
    /** As Frappe names site databases: _ and a hash; its user has the same name. */
    readonly db: string;
    readonly dbPassword: string;
    /** Core tables to leave out (a broken site). */
    readonly without?: readonly string[];
}

function q(server: DbServer, name: string): string {
    return server.engine === "mariadb" ? `\`${name}\`` : `"${name}"`;
}

const TABLES: Record<string, string> = {
    tabDefaultValue: "name varchar(140) primary key, parent varchar(140), defkey varchar(140), defvalue text",
    __Auth: "doctype varchar(140), name varchar(255), fieldname varchar(140), password text, encrypted int default 0, primary key (doctype, name, fieldname)",
    tabUser: "name varchar(140) primary key, email varchar(140), enabled int default 1",
    "tabSales Invoice": "name varchar(140) primary key, customer varchar(140), grand_total decimal(21,9)",
};

function schema(server: DbServer, site: Site): string {
    const t = (n: string) => q(server, n);
    const tables = Object.entries(TABLES).filter(([name]) => !(site.without ?? []).includes(name));
    const invoices = Array.from({ length: 400 }, (_, i) => `('SINV-${i}', 'Customer ''${i % 7}''', ${i * 13.5})`);
    const rows: Record<string, string> = {
        tabDefaultValue: `INSERT INTO ${t("tabDefaultValue")} VALUES ('d1', '__default', 'currency', 'EUR');`,
        __Auth: `INSERT INTO ${t("__Auth")} VALUES ('User', 'Administrator', 'password', 'hash', 0);`,
        tabUser: `INSERT INTO ${t("tabUser")} VALUES ('Administrator', 'admin@example.com', 1), ('Guest', 'guest@example.com', 1);`,
        "tabSales Invoice": `INSERT INTO ${t("tabSales Invoice")} VALUES ${invoices.join(", ")};`,
    };
    return tables.map(([name, cols]) => `CREATE TABLE ${t(name)} (${cols});\n${rows[name]}`).join("\n");
}

/** Creates the site's database and user as Frappe's new-site does, and fills it as the site's user. */
export function createSiteDatabase(server: DbServer, site: Site): void {
    if (server.engine === "mariadb") {
        asRoot(
            server,
            `CREATE DATABASE \`${site.db}\`; CREATE USER '${site.db}'@'%' IDENTIFIED BY '${site.dbPassword}';
             GRANT ALL PRIVILEGES ON \`${site.db}\`.* TO '${site.db}'@'%';`,
        );
        asRoot(server, schema(server, site), site.db);
    } else {
        asRoot(server, `CREATE ROLE "${site.db}" LOGIN PASSWORD '${site.dbPassword}';`);
        asRoot(server, `CREATE DATABASE "${site.db}" OWNER "${site.db}";`);
        asRoot(server, `SET ROLE "${site.db}";\n${schema(server, site)}`, site.db);
    }
}

/** A fingerprint of the site's data (every table's rows), to prove a drill left it alone. */
export function fingerprint(server: DbServer, site: Site): string {
    const tables = Object.keys(TABLES).filter((n) => !(site.without ?? []).includes(n));
    const sql =
        server.engine === "mariadb"
            ? `CHECKSUM TABLE ${tables.map((n) => q(server, n)).join(", ")}`
            : tables
                  .map((n) => `SELECT md5(string_agg(t::text, ',' ORDER BY t::text)) FROM ${q(server, n)} t;`)
                  .join("\n");
    return asRoot(server, sql, site.db);
}

/** How the backup file is spoiled after Frappe wrote it. */
export type Damage = "none" | "no-trailer" | "cut-mid-statement" | "cut-gzip";

const DAMAGE: Record<Damage, string> = {
    none: "",
    // Everything but the end-of-dump line: only the completeness check can tell.
    "no-trailer": `gzip -cd "$f" | sed '/^-- Dump completed/,$d; /^-- PostgreSQL database dump complete/,$d' | gzip > "$f.x" && mv "$f.x" "$f"`,
    // A dump cut in the middle of its data, at a byte that is not a line end.
    "cut-mid-statement": `gzip -cd "$f" > "$f.sql" && head -c $(( $(stat -c %s "$f.sql") * 6 / 10 )) "$f.sql" | gzip > "$f" && rm "$f.sql"`,
    // The compressed file cut short (a copy or a disk that stopped half-way).
    "cut-gzip": `head -c $(( $(stat -c %s "$f") * 7 / 10 )) "$f" > "$f.x" && mv "$f.x" "$f"`,
};

/**
 * Takes the site's backup into sites/.backups/<site>/ in a client container on the server's network;
 * with `encryptionKey`, encrypted as Frappe's "Encrypt Backups" does (gpg -c with the site's
 * backup_encryption_key, same file name with -enc). Returns the file name.
 */
export function takeBackup(
    server: DbServer,
    site: Site,
    opts: { image: string; network: string; volume: string; stamp: string; damage?: Damage; encryptionKey?: string },
): string {
    const slug = site.name.replace(/\./g, "_");
    const enc = opts.encryptionKey === undefined ? "" : "-enc";
    const file = `${opts.stamp}-${slug}-database${enc}.sql.gz`;
    const dump =
        server.engine === "mariadb"
            ? `mysqldump --single-transaction --quick --lock-tables=false -u '${site.db}' -p'${site.dbPassword}' '${site.db}' -h ${server.alias} -P ${server.port}`
            : `pg_dump 'postgres://${site.db}:${site.dbPassword}@${server.alias}:${server.port}/${site.db}'`;
    const encrypt =
        opts.encryptionKey === undefined
            ? ""
            : `gpg --batch --yes --passphrase '${opts.encryptionKey}' --pinentry-mode loopback -c "$f" && mv "$f.gpg" "$f"`;
    const script = [
        "set -euo pipefail",
        `d=sites/.backups/${site.name}; mkdir -p "$d"; f="$d/${file}"`,
        `printf -- '-- Backup generated by Frappe 15.88.1 on branch version-15\\n\\n' | gzip > "$f"`,
        `${dump} | gzip >> "$f"`,
        DAMAGE[opts.damage ?? "none"],
        encrypt,
    ].join("\n");
    dockerOk([
        ...["run", "--rm", ...RUN_LABEL, "--network", opts.network, "-v", `${opts.volume}:${SITES_DIR}`],
        ...[opts.image, "bash", "-c", script],
    ]);
    return file;
}

/** Writes a site's site_config.json (and common_site_config.json) into the sites volume. */
export function writeSiteConfig(
    opts: { image: string; volume: string },
    site: Site,
    config: Record<string, unknown>,
    common: Record<string, unknown>,
): void {
    const script =
        `mkdir -p sites/${site.name} && cat > sites/${site.name}/site_config.json <<'EOF'\n${JSON.stringify(config)}\nEOF\n` +
        `cat > sites/common_site_config.json <<'EOF'\n${JSON.stringify(common)}\nEOF`;
    dockerOk(["run", "--rm", ...RUN_LABEL, "-v", `${opts.volume}:${SITES_DIR}`, opts.image, "bash", "-c", script]);
}
