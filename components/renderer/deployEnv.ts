import * as pulumi from "@pulumi/pulumi";
import { RoutedSpec } from "./traefik";

/** What a process's environment gets at deploy time, beyond the model's plain env. */
export interface DeployTimeValues {
    /** The run token of the job whose every run must restart the process. */
    readonly restartToken?: pulumi.Output<string>;
    /** The subnet the engine gave the edge network (undefined without an in-stack proxy). */
    readonly edgeSubnet?: pulumi.Output<string>;
}

/**
 * Environment known only at deploy time. FRAPPE_CONFIG_RUN exists only to restart the process: nothing in it
 * reads the variable. Its value is the run token of the job that rewrote common_site_config.json, new
 * whenever that job ran, and a changed env replaces a container (the Docker provider has no in-place update
 * of env) or rolls a Swarm service, so the process starts again and rereads the config. The entry gets the
 * edge network's subnet as the one address range it trusts X-Forwarded-For from (RoutedSpec.trustsProxyIn).
 */
export function deployTimeEnv(spec: RoutedSpec, values: DeployTimeValues): Record<string, pulumi.Output<string>> {
    const env: Record<string, pulumi.Output<string>> = {};
    if (values.restartToken !== undefined) {
        env.FRAPPE_CONFIG_RUN = values.restartToken;
    }
    if (spec.trustsProxyIn !== undefined) {
        if (values.edgeSubnet === undefined) {
            throw new Error(`${spec.key}: trusts the proxy's network, but the stack has no edge network`);
        }
        env[spec.trustsProxyIn] = values.edgeSubnet;
    }
    return env;
}
