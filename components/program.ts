import * as pulumi from "@pulumi/pulumi";
import { loadStackConfig } from "./config/load";
import { FrappeDeployment } from "./deployment";

export interface ProgramOptions {
    /** Directory of Pulumi.yaml; relative paths in config (apps.json) resolve against it. */
    readonly projectRoot: string;
    /** Extra options for the root component (tests pass transformations to observe every resource). */
    readonly componentOptions?: pulumi.ComponentResourceOptions;
}

/** The stack outputs, as `index.ts` exports them. */
export interface ProgramOutputs {
    readonly imageRef: pulumi.Output<string>;
    readonly imageTag: pulumi.Output<string>;
    readonly imageDigest: pulumi.Output<string | undefined>;
    readonly networkName: pulumi.Output<string>;
    readonly volumeNames: pulumi.Output<Record<string, string>>;
    readonly containerNames: pulumi.Output<string[]>;
    readonly sites: string[];
    /** Site → apps as configured (the next deploy reads this output back; keep its name). */
    readonly siteApps: Record<string, string[]>;
}

/**
 * The whole program: validate the configuration (throwing before any resource exists when it is
 * wrong), then deploy. `index.ts` calls this; tests call it under Pulumi's mocks.
 */
export function runFrappeProgram(options: ProgramOptions): ProgramOutputs {
    const { config, secrets } = loadStackConfig(options.projectRoot);
    const deployment = new FrappeDeployment("frappe", { config, secrets }, options.componentOptions);
    return {
        imageRef: deployment.imageRef,
        imageTag: deployment.imageTag,
        imageDigest: deployment.imageDigest,
        networkName: deployment.networkName,
        volumeNames: deployment.volumeNames,
        containerNames: deployment.containerNames,
        sites: config.sites.map((s) => s.name),
        siteApps: deployment.configuredSiteApps,
    };
}
