import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { SecretKey } from "../config/schema";
import { STACK_LABEL } from "../conventions/naming";
import { SwarmObjectRef } from "./spec";

const SECRET_LABEL = "frappe.secret";

export interface SwarmSecretsArgs {
    readonly stack: string;
    /** The secrets the services mount (from the service model). */
    readonly keys: readonly SecretKey[];
    /** Their values, Pulumi secrets. */
    readonly values: Readonly<Partial<Record<SecretKey, pulumi.Input<string>>>>;
}

/** `dbPassword` → `db-password`, for resource names. */
function kebab(key: string): string {
    return key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/**
 * One Swarm secret per secret the services read. A Swarm secret cannot change (every input of the
 * provider's docker_secret is ForceNew and it has no update: kreuzwerker/terraform-provider-docker
 * v4.5.0 internal/provider/resource_docker_secret.go), so a new value is a replacement. The name is
 * left to Pulumi's autonaming (pulumi-docker provider/resources.go: `prov.SetAutonaming(255, "-")`):
 * each replacement gets a fresh random suffix, so the new secret is created next to the old one, the
 * services roll over to it, and only then is the old one deleted (Swarm refuses to delete a secret
 * in use, and two secrets cannot share a name). Nothing of the value is in the name.
 */
export class SwarmSecrets extends pulumi.ComponentResource {
    public readonly refs: Readonly<Partial<Record<SecretKey, SwarmObjectRef>>>;

    constructor(name: string, args: SwarmSecretsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("frappe:swarm:Secrets", name, {}, opts);
        const refs: Partial<Record<SecretKey, SwarmObjectRef>> = {};
        for (const key of args.keys) {
            const value = args.values[key];
            if (value === undefined) {
                throw new Error(`swarm: secret ${key} is needed by a service but was not provided`);
            }
            const secret = new docker.Secret(
                `${name}-${kebab(key)}`,
                {
                    // The provider wants base64 (validateStringIsBase64Encoded, whose error would print the value).
                    data: pulumi.secret(pulumi.output(value).apply((v) => Buffer.from(v, "utf8").toString("base64"))),
                    labels: [
                        { label: SECRET_LABEL, value: key },
                        { label: STACK_LABEL, value: args.stack },
                    ],
                },
                // pulumi-docker's Secret marks `data` a secret output itself (secret.js: additionalSecretOutputs).
                { parent: this },
            );
            refs[key] = { id: secret.id, name: secret.name };
        }
        this.refs = refs;
        this.registerOutputs({});
    }
}
