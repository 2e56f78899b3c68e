/**
 * Image tags and git refs that move: the same name points at different content over time.
 * A deploy that names one of these cannot be reproduced or rolled back, so production refuses
 * them (unless a digest pins the image) and apps.json refuses them (unless a commit pins the app).
 */
const MOVING_EXACT = new Set([
    "latest",
    "main",
    "master",
    "develop",
    "development",
    "nightly",
    "edge",
    "stable",
    "head",
]);

/** `version-15`, `version-16-hotfix`, `v15`, `15` — release *lines*, not releases. */
const MOVING_PATTERNS: readonly RegExp[] = [/^version-\d+(-[a-z]+)?$/i, /^v?\d+$/i, /-latest$/i, /^latest-/i];

export function isMovingRef(ref: string): boolean {
    const r = ref.trim().toLowerCase();
    return MOVING_EXACT.has(r) || MOVING_PATTERNS.some((p) => p.test(r));
}

export const MOVING_REF_DESCRIPTION =
    "a pinned release (e.g. v15.88.1), not a moving name such as latest, *-latest, version-N, vN, main, master, develop or nightly";
