import * as pulumi from "@pulumi/pulumi";
import { SecretKey } from "../config/schema";
import { NetworkKey, VolumeKey, VolumeMount } from "../bench/model/types";

/** A volume that must be created with a driver and options (Swarm's shared sites volume). */
export interface VolumeDriver {
    readonly driver: string;
    readonly options: Readonly<Record<string, string>>;
}

/** What a run-once job needs from the world it runs in, whichever renderer runs the bench. */
export interface JobContext {
    readonly stack: string;
    /** The bench's Frappe image reference (`repo:tag@digest`); unknown until the build finishes when building. */
    readonly frappeImage: pulumi.Input<string>;
    /** Docker names of the stack's networks; a job's container joins those of its spec. */
    readonly networks: Readonly<Partial<Record<NetworkKey, pulumi.Input<string>>>>;
    /** Docker volume name per volume key. */
    readonly volumes: Readonly<Partial<Record<VolumeKey, pulumi.Input<string>>>>;
    /** Volumes created with a driver and options (Swarm's shared sites volume); jobs mount them likewise. */
    readonly volumeDrivers?: Readonly<Partial<Record<VolumeKey, VolumeDriver>>>;
    readonly secrets: Readonly<Partial<Record<SecretKey, pulumi.Input<string>>>>;
    /** `docker:host` (e.g. `ssh://deploy@erp.example.com`) for jobs run through the Docker CLI; unset = local. */
    readonly dockerHost?: string;
}

/**
 * A process's mounts with the stack's volume names, the one rendering of a volume list that
 * containers and jobs (`--volume name:path[:ro]`) share.
 */
export function volumeMounts<T>(
    key: string,
    mounts: readonly VolumeMount[],
    names: Readonly<Partial<Record<VolumeKey, T>>>,
): { volumeName: T; containerPath: string; readOnly: boolean }[] {
    return mounts.map((m) => {
        const volumeName = names[m.volume];
        if (volumeName === undefined) {
            throw new Error(`${key}: volume ${m.volume} is not part of this stack`);
        }
        return { volumeName, containerPath: m.containerPath, readOnly: m.readOnly ?? false };
    });
}
