import * as pulumi from "@pulumi/pulumi";
import { ConfigError } from "./config/issues";
import { loadStackConfig } from "./config/load";
import { PreviousImage, staleDigestIssues } from "./config/previousImage";
import { FrappeDeployment } from "./deployment";
import { MaintenanceWindow } from "./jobs/window";

export interface ProgramOptions {
    /** Directory of Pulumi.yaml; relative paths in config (apps.json) resolve against it. */
    readonly projectRoot: string;
    /**
     * Extra options for the root component (tests pass transformations to observe every resource); its
     * transformations also apply to the reference to the stack's last deploy, registered before it.
     */
    readonly componentOptions?: pulumi.ComponentResourceOptions;
}

/** The stack outputs, as `index.ts` exports them. */
export interface ProgramOutputs {
    readonly imageRef: pulumi.Output<string>;
    readonly imageTag: pulumi.Output<string>;
    readonly imageDigest: pulumi.Output<string | undefined>;
    readonly networkName: pulumi.Output<string>;
    readonly networkNames: pulumi.Output<Record<string, string>>;
    readonly volumeNames: pulumi.Output<Record<string, string>>;
    readonly containerNames: pulumi.Output<string[]>;
    readonly sites: string[];
    /**
     * Site → apps as this deploy's config lists them. Read back by the next deploy, by this name, to warn
     * when a site or app leaves the config (nothing is ever dropped).
     */
    readonly siteApps: Record<string, string[]>;
    /**
     * How long the sites were closed in the last maintenance window (an upgrade, a restore, a database
     * server change): `{ start, end, seconds }`, from maintenance-off's output; not a secret.
     */
    readonly maintenanceWindow: pulumi.Output<MaintenanceWindow | undefined>;
    /** One Docker host or a Swarm: how `npm run status` finds the processes. */
    readonly orchestrator: "docker" | "swarm";
    /** The stack's `docker:host`, where `npm run status` looks (absent: the local engine). */
    readonly dockerHost?: string;
}

/** The tag and digest the last deploy of this stack ran, read through a reference to the stack itself. */
async function previousImage(previous: pulumi.StackReference): Promise<PreviousImage> {
    const [tag, digest] = await Promise.all([
        previous.getOutputDetails("imageTag"),
        previous.getOutputDetails("imageDigest"),
    ]);
    return {
        tag: typeof tag.value === "string" ? tag.value : undefined,
        digest: typeof digest.value === "string" ? digest.value : undefined,
    };
}

/**
 * The whole program: validate the configuration, then read this stack's last deploy and refuse a
 * tag change that keeps the previous digest (throwing before any resource of the deployment exists
 * when either is wrong), then deploy. `index.ts` exports its result; tests call it under Pulumi's mocks.
 */
export async function runFrappeProgram(options: ProgramOptions): Promise<ProgramOutputs> {
    const { config, secrets } = loadStackConfig(options.projectRoot);
    // This very stack's last deploy (a project-scoped reference: backends from Pulumi 3.61 on).
    const previous = new pulumi.StackReference(
        "frappe-previous-deployment",
        { name: `${pulumi.getOrganization()}/${pulumi.getProject()}/${pulumi.getStack()}` },
        { transformations: options.componentOptions?.transformations },
    );
    const stale = staleDigestIssues(config, await previousImage(previous));
    if (stale.length > 0) {
        throw new ConfigError(stale);
    }
    const deployment = new FrappeDeployment("frappe", { config, secrets, previous }, options.componentOptions);
    return {
        imageRef: deployment.imageRef,
        imageTag: deployment.imageTag,
        imageDigest: deployment.imageDigest,
        networkName: deployment.networkName,
        networkNames: deployment.networkNames,
        volumeNames: deployment.volumeNames,
        containerNames: deployment.containerNames,
        sites: config.sites.map((s) => s.name),
        siteApps: deployment.configuredSiteApps,
        maintenanceWindow: deployment.maintenanceWindow,
        orchestrator: config.swarm ? "swarm" : "docker",
        ...(config.dockerHost === undefined ? {} : { dockerHost: config.dockerHost }),
    };
}
