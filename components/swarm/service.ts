import { createHash } from "crypto";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { STACK_LABEL } from "../conventions/naming";
import { SwarmServiceSettings } from "./plan";
import { containerSpec, serviceArgs, SwarmObjectRef, SwarmRenderContext, SwarmServiceSpec } from "./spec";

export interface SwarmServiceArgs {
    /** What the process is (from the service model, with what Swarm adds). */
    readonly spec: SwarmServiceSpec;
    /** Replicas, placement, update order and convergence time (from the Swarm plan). */
    readonly settings: SwarmServiceSettings;
    readonly context: SwarmRenderContext;
    /** Resources that must be ready first (converged services, succeeded jobs). */
    readonly dependsOn: pulumi.Input<pulumi.Input<pulumi.Resource>[]>;
    /** Environment known only at deploy time (run tokens), added to the model's plain env. */
    readonly extraEnv?: Readonly<Record<string, pulumi.Input<string>>>;
}

/**
 * One role of the bench as a Swarm service, plus the Swarm configs holding its plain files (scripts).
 * Like secrets, configs cannot change (docker_config: every input ForceNew); each is autonamed, so a
 * changed script becomes a new config the service rolls over to.
 */
export class SwarmService extends pulumi.ComponentResource {
    public readonly service: docker.Service;
    public readonly serviceName: pulumi.Output<string>;

    constructor(name: string, args: SwarmServiceArgs, opts?: pulumi.ComponentResourceOptions) {
        super("frappe:swarm:Service", name, {}, opts);
        const { spec, context } = args;
        const configs: SwarmObjectRef[] = spec.files.map((f) => {
            const digest = createHash("sha256").update(f.path).digest("hex").slice(0, 8);
            const config = new docker.ServiceConfig(
                `${name}-file-${digest}`,
                {
                    data: Buffer.from(f.content, "utf8").toString("base64"),
                    labels: [{ label: STACK_LABEL, value: context.stack }],
                },
                { parent: this },
            );
            return { id: config.id, name: config.name };
        });
        const container = containerSpec(spec, context, { env: args.extraEnv ?? {}, configs });
        this.service = new docker.Service(name, serviceArgs(spec, args.settings, context, container), {
            parent: this,
            dependsOn: args.dependsOn,
            // A service's networks cannot change in place (networks_advanced id and aliases are ForceNew:
            // kreuzwerker/terraform-provider-docker v4.5.0 resource_docker_service.go), and Swarm refuses a
            // second service of the same name: a replacement must delete the service first.
            deleteBeforeReplace: true,
            additionalSecretOutputs: context.registryAuth && spec.image.kind === "frappe" ? ["auth"] : [],
        });
        this.serviceName = this.service.name;
        this.registerOutputs({ serviceName: this.serviceName });
    }
}
