import { ARCHIVED_SITES_DIR } from "../bench/layout";

/**
 * Sites and apps that were deployed before but are no longer in `frappe:sites`. Removing them from
 * config must never delete data, so the program only warns and points at the manual, backed-up way.
 */

/** Site name → apps as configured, as the stack output `siteApps` records it. */
export type SiteApps = Readonly<Record<string, readonly string[]>>;

export interface Removals {
    readonly sites: readonly string[];
    readonly apps: readonly { readonly site: string; readonly app: string }[];
}

export function siteAppsOf(sites: readonly { name: string; apps: readonly string[] }[]): Record<string, string[]> {
    const out: Record<string, string[]> = {};
    for (const s of sites) {
        out[s.name] = [...s.apps];
    }
    return out;
}

/** Tolerates anything as the previous value: a stack output from an older program version may differ. */
export function findRemovals(previous: unknown, current: SiteApps): Removals {
    if (typeof previous !== "object" || previous === null || Array.isArray(previous)) {
        return { sites: [], apps: [] };
    }
    const sites: string[] = [];
    const apps: { site: string; app: string }[] = [];
    for (const [site, before] of Object.entries(previous as Record<string, unknown>)) {
        const now = current[site];
        if (now === undefined) {
            sites.push(site);
            continue;
        }
        for (const app of Array.isArray(before) ? before : []) {
            if (typeof app === "string" && !now.includes(app)) {
                apps.push({ site, app });
            }
        }
    }
    return { sites: sites.sort(), apps };
}

export function removalWarnings(r: Removals, backendContainer: string, stack: string): string[] {
    const exec = `docker exec -it ${backendContainer}`;
    return [
        ...r.sites.map(
            (site) =>
                `Site ${site} is no longer in frappe:sites. Nothing was deleted: the site and its database stay as they are. ` +
                `To really drop it: ${exec} bench drop-site ${site} --archived-sites-path ${ARCHIVED_SITES_DIR} ` +
                `(it asks for the database root password, npm run password -- db --stack ${stack}, backs the site up ` +
                `with its files, drops its database and moves the site folder, that backup included, to ` +
                `${ARCHIVED_SITES_DIR}/${site} on the sites volume; without --archived-sites-path it would go to ` +
                `archived/sites inside the container, lost when the container is replaced).`,
        ),
        ...r.apps.map(
            ({ site, app }) =>
                `App ${app} is no longer listed for site ${site}. It stays installed. ` +
                `To really remove it: ${exec} bench --site ${site} backup --with-files && ${exec} bench --site ${site} uninstall-app ${app} --yes`,
        ),
    ];
}
