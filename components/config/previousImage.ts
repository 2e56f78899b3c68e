import { ConfigIssue } from "./issues";

/** The image the last deploy of this stack ran, from its stack outputs `imageTag` and `imageDigest`. */
export interface PreviousImage {
    readonly tag?: string;
    readonly digest?: string;
}

/** The image settings of this deploy: a pinned tag (and digest), or a build. */
export interface CurrentImage {
    readonly tag?: string;
    readonly digest?: string;
    readonly build?: unknown;
}

/**
 * A new `frappe:tag` with the `frappe:digest` of the previous one. Containers run `image:tag@digest`,
 * and Docker pulls by the digest when both are given, so the stack would keep running the previous
 * image under the new tag's name, silently. Refused before anything is registered.
 */
export function staleDigestIssues(current: CurrentImage, previous: PreviousImage): ConfigIssue[] {
    const { tag, digest } = current;
    if (current.build !== undefined || tag === undefined || digest === undefined) {
        return [];
    }
    if (previous.tag === undefined || previous.digest !== digest || previous.tag === tag) {
        return [];
    }
    return [
        {
            key: "frappe:digest",
            value: digest,
            expected: `the digest of ${tag}`,
            message:
                `frappe:tag changed from ${previous.tag} to ${tag}, but frappe:digest is still ${digest}, the digest ` +
                `of ${previous.tag} that the last deploy ran, so the containers would keep running ${previous.tag}. ` +
                `Set frappe:digest to the digest of ${tag} (npm run promote writes the tag and its digest together; ` +
                `docker buildx imagetools inspect <image>:${tag} prints it), or remove frappe:digest to run ${tag} as tagged.`,
        },
    ];
}
