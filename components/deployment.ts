import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { drillSchedule } from "./bench/model/backupCron";
import { clientNetworks } from "./bench/model/networks";
import { buildBenchModel } from "./bench/model/build";
import { unservedQueues } from "./bench/model/workers";
import { dockerRenderer } from "./docker/renderer";
import { Bench } from "./renderer/bench";
import { BenchVolumes } from "./renderer/volumes";
import { StackConfig, StackSecrets } from "./config/load";
import { imageReference } from "./conventions/image";
import { FrappeImage } from "./image/frappeImage";
import { findRemovals, removalWarnings, SiteApps, siteAppsOf } from "./sites/removals";
import { dockerName } from "./conventions/naming";
import { swarmRenderer } from "./swarm/renderer";
import { MaintenanceWindow, maintenanceWindow } from "./jobs/window";

/** A bench without sites is legitimate (sites are added later), but nothing answers on the web port yet. */
const NO_SITES_WARNING =
    "frappe:sites is empty: the bench is deployed without any site, so nothing answers on the web port yet. " +
    "Add one with `pulumi config set --path 'sites[0].name' erp.example.com` and run `pulumi up` again.";

export interface FrappeDeploymentArgs {
    /** The validated stack configuration. */
    readonly config: StackConfig;
    /** Secrets from stack config (Pulumi secret Outputs). */
    readonly secrets: StackSecrets;
    /** A reference to this very stack: its last deploy's outputs. */
    readonly previous: pulumi.StackReference;
}

/** The image every Frappe container runs, and what the stack outputs say about it. */
interface ImageOutputs {
    readonly ref: pulumi.Output<string>;
    readonly tag: pulumi.Output<string>;
    readonly digest: pulumi.Output<string | undefined>;
}

/** The bench's image: built and pushed (FrappeImage) when the stack builds, otherwise the configured tag. */
function benchImage(name: string, args: FrappeDeploymentArgs, parent: pulumi.Resource): ImageOutputs {
    const { config, secrets } = args;
    if (config.build) {
        const image = new FrappeImage(
            `${name}-image`,
            {
                repository: config.image,
                build: config.build,
                apps: [...config.buildApps],
                registry: config.registry,
                registryPassword: secrets.registryPassword,
                gitToken: secrets.gitToken,
            },
            { parent },
        );
        return { ref: image.ref, tag: pulumi.output(image.tag), digest: image.digest };
    }
    return {
        ref: pulumi.output(imageReference(config.image, config.tag, config.digest)),
        tag: pulumi.output(config.tag),
        digest: pulumi.output(config.digest),
    };
}

/** What is allowed but worth saying on every deploy: queues nobody serves, a bench without sites. */
function warnAboutConfig(config: StackConfig, resource: pulumi.Resource): void {
    const unserved = unservedQueues(config);
    if (unserved.length > 0) {
        // Allowed (a maintenance stop of the workers), but jobs sent there wait, and the next upgrade's
        // drain waits for them: say so on every deploy.
        void pulumi.log.warn(
            `No worker serves the queue(s) ${unserved.join(", ")} (frappe:workers). Background jobs sent there ` +
                "are not run, and the next upgrade waits for them before migrating.",
            resource,
        );
    }
    if (config.sites.length === 0) {
        void pulumi.log.warn(NO_SITES_WARNING, resource);
    }
}

/**
 * Reads the `siteApps` output of this very stack's last deploy and warns (never deletes) when a site
 * or an app has left the config since.
 */
function warnAboutRemovals(
    config: StackConfig,
    now: SiteApps,
    previous: pulumi.StackReference,
    parent: pulumi.Resource,
): void {
    const backendName = dockerName(config.stack, "backend");
    previous.getOutput("siteApps").apply((before) => {
        for (const warning of removalWarnings(findRemovals(before, now), backendName, config.stack)) {
            void pulumi.log.warn(warning, parent);
        }
    });
}

/**
 * A whole Frappe / ERPNext deployment on one Docker host or a Swarm: the image (built or pinned), network,
 * volumes, database, Redis, the bench processes, the proxy and the jobs that keep sites safe.
 */
export class FrappeDeployment extends pulumi.ComponentResource {
    /** The image every Frappe container runs: `repo:tag@digest` when pinned or built. */
    public readonly imageRef: pulumi.Output<string>;
    public readonly imageTag: pulumi.Output<string>;
    public readonly imageDigest: pulumi.Output<string | undefined>;
    /**
     * The network a one-off bench container joins to reach the database and Redis (the data network when the
     * stack runs one, else the bench network): where the jobs start.
     */
    public readonly networkName: pulumi.Output<string>;
    /** Docker names of the stack's networks by purpose (edge, bench, data). */
    public readonly networkNames: pulumi.Output<Record<string, string>>;
    public readonly volumeNames: pulumi.Output<Record<string, string>>;
    public readonly containerNames: pulumi.Output<string[]>;
    /**
     * Site → apps as this deploy's config lists them (not read back from the sites: an app installed
     * by hand is not in it). Exported as the stack output `siteApps`, which the next deploy reads to
     * warn about removals.
     */
    public readonly configuredSiteApps: Record<string, string[]>;
    /**
     * The last maintenance window: when maintenance-off last reopened the sites, the window it closed
     * (start, end, seconds); undefined before any window. Not a secret: only a strictly matched line of
     * the job's (secret) output, two timestamps and a number, is taken from it.
     */
    public readonly maintenanceWindow: pulumi.Output<MaintenanceWindow | undefined>;
    /** Administrator password of every site (secret). */
    public readonly adminPassword: pulumi.Output<string>;
    /** Database root password (secret). */
    public readonly dbPassword: pulumi.Output<string>;

    constructor(name: string, args: FrappeDeploymentArgs, opts?: pulumi.ComponentResourceOptions) {
        super("frappe:index:Deployment", name, {}, opts);
        const { config, secrets } = args;

        // A generated password must outlive every deploy: the database was initialised with it.
        const generated = (key: "dbPassword" | "adminPassword", resourceName: string): pulumi.Output<string> =>
            secrets[key] ??
            new random.RandomPassword(
                `${name}-${resourceName}`,
                { length: 32, special: false },
                { parent: this, protect: true },
            ).result;
        this.dbPassword = pulumi.secret(generated("dbPassword", "db-root-password"));
        this.adminPassword = pulumi.secret(generated("adminPassword", "admin-password"));

        const image = benchImage(name, args, this);
        this.imageRef = image.ref;
        this.imageTag = image.tag;
        this.imageDigest = image.digest;

        const model = buildBenchModel(config);
        // The restore-drill account's password, when drills run: the account job sets it on every run,
        // so a new one (config changed, resource replaced) needs nothing else.
        const drillDbPassword =
            drillSchedule(config) === undefined
                ? undefined
                : (secrets.drillDbPassword ??
                  new random.RandomPassword(
                      `${name}-drill-db-password`,
                      { length: 32, special: false },
                      { parent: this },
                  ).result);
        warnAboutConfig(config, this);
        const renderer = config.swarm
            ? swarmRenderer(name, config, config.swarm, model.networks, this)
            : dockerRenderer(name, config, model.networks, this);
        const volumes = new BenchVolumes(
            `${name}-volumes`,
            {
                stack: config.stack,
                keys: model.volumes,
                adopted: config.volumes,
                dockerHost: config.dockerHost,
                drivers: renderer.volumeDrivers,
            },
            { parent: this },
        );
        const bench = new Bench(
            `${name}-bench`,
            {
                renderer,
                model,
                frappeImage: this.imageRef,
                volumes: volumes.names,
                secrets: {
                    ...secrets,
                    dbPassword: this.dbPassword,
                    adminPassword: this.adminPassword,
                    ...(drillDbPassword === undefined ? {} : { drillDbPassword: pulumi.secret(drillDbPassword) }),
                },
                stack: config.stack,
                dockerHost: config.dockerHost,
            },
            { parent: this },
        );
        const names = renderer.networkNames;
        this.networkName = pulumi.output(names[clientNetworks(model.networks)[0]] ?? "");
        this.networkNames = pulumi.output(names) as pulumi.Output<Record<string, string>>;
        this.containerNames = bench.serviceNames;
        this.maintenanceWindow = pulumi.unsecret(bench.jobs["maintenance-off"].run.stdout.apply(maintenanceWindow));

        this.configuredSiteApps = siteAppsOf(config.sites);
        warnAboutRemovals(config, this.configuredSiteApps, args.previous, this);

        this.volumeNames = pulumi.output(volumes.names) as pulumi.Output<Record<string, string>>;
        this.registerOutputs({
            imageRef: this.imageRef,
            imageTag: this.imageTag,
            imageDigest: this.imageDigest,
            networkName: this.networkName,
            networkNames: this.networkNames,
            volumeNames: this.volumeNames,
            containerNames: this.containerNames,
            siteApps: this.configuredSiteApps,
            maintenanceWindow: this.maintenanceWindow,
        });
    }
}
