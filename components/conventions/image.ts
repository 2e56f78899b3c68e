/** A digest as registries print it. */
export const DIGEST_PATTERN = /^sha256:[a-f0-9]{64}$/;

/** Docker tag grammar (reference/regexp.go: `[\w][\w.-]{0,127}`). */
export const TAG_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

/**
 * Repository part of an image reference: optional registry host[:port], then lowercase path
 * components separated by `/`. No tag or digest here; they are separate config keys.
 */
export const REPOSITORY_PATTERN =
    /^(?:(?:[a-zA-Z0-9-]+\.)*[a-zA-Z0-9-]+(?::[0-9]+)?\/)?[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/;

/**
 * `repo:tag`, or `repo:tag@sha256:...` when a digest pins it. With a digest Docker ignores the
 * tag when pulling, so a re-pushed tag can never change what runs; the tag stays for humans.
 */
export function imageReference(repository: string, tag: string, digest?: string): string {
    return digest ? `${repository}:${tag}@${digest}` : `${repository}:${tag}`;
}
