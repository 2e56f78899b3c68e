import * as fs from "fs";
import * as path from "path";

/**
 * Input rules of the real providers, each taken from the provider's source at the version we pin and
 * cited where it is encoded. The strict mocks (mocks.ts) refuse what these refuse; mocks.test.ts tests
 * every rule both ways (a bad input is refused, the good one accepted).
 *
 * Sources (read with `git show <tag>:<file>`):
 * - KW: kreuzwerker/terraform-provider-docker v4.5.0 (what @pulumi/docker 5.2.0 bridges):
 *   internal/provider/resource_docker_container.go (schema), resource_docker_container_funcs.go
 *   (create/read), resource_docker_container_structures.go, validators.go.
 * - CMD: pulumi/pulumi-command v1.2.1, provider/pkg/provider/local/logging.go.
 * - DB: pulumi/pulumi-docker-build v0.0.22, provider/internal/{image,export,context,dockerfile,preview}.go,
 *   and github.com/distribution/reference v0.6.0 (regexp.go), which image.go:647 calls for every tag.
 */

const NS: Record<string, bigint> = {
    ns: 1n,
    us: 1_000n,
    "\u00b5s": 1_000n,
    "\u03bcs": 1_000n,
    ms: 1_000_000n,
    s: 1_000_000_000n,
    m: 60_000_000_000n,
    h: 3_600_000_000_000n,
};

/** Go's time.ParseDuration (go/src/time/format.go): signed sequence of decimal numbers with units. Nanoseconds. */
export function parseGoDuration(s: string): bigint | undefined {
    const m = /^([-+]?)(.*)$/su.exec(s);
    const body = m?.[2] ?? "";
    if (body === "0") {
        return 0n;
    }
    const part = /(\d*)(?:\.(\d*))?([a-zµμ]+)/gu;
    let total = 0n;
    let consumed = 0;
    for (const p of body.matchAll(part)) {
        const [whole, int, frac = "", unit] = p;
        if (p.index !== consumed || (int === "" && frac === "") || NS[unit] === undefined) {
            return undefined;
        }
        const scale = NS[unit];
        total += BigInt(int === "" ? "0" : int) * scale;
        // Go truncates the fraction's contribution to whole nanoseconds.
        total += (BigInt(frac === "" ? "0" : frac) * scale) / 10n ** BigInt(frac.length);
        consumed += whole.length;
    }
    if (body === "" || consumed !== body.length) {
        return undefined;
    }
    return m?.[1] === "-" ? -total : total;
}

/** `v` with `digits` decimals, trailing zeros (and a bare point) dropped, as Go's fmtFrac writes it. */
function frac(v: bigint, digits: number): { int: bigint; text: string } {
    const unit = 10n ** BigInt(digits);
    const f = (v % unit).toString().padStart(digits, "0").replace(/0+$/, "");
    return { int: v / unit, text: f === "" ? "" : `.${f}` };
}

/** Go's time.Duration.String(): `1h0m0s`, `1m30s`, `1.5s`, `500ms`, `1.5µs`, `0s`. */
export function formatGoDuration(d: bigint): string {
    const sign = d < 0n ? "-" : "";
    const u = d < 0n ? -d : d;
    if (u === 0n) {
        return "0s";
    }
    if (u < 1_000n) {
        return `${sign}${u}ns`;
    }
    if (u < 1_000_000n) {
        const f = frac(u, 3);
        return `${sign}${f.int}${f.text}\u00b5s`;
    }
    if (u < 1_000_000_000n) {
        const f = frac(u, 6);
        return `${sign}${f.int}${f.text}ms`;
    }
    const f = frac(u, 9);
    const secs = `${f.int % 60n}${f.text}s`;
    const mins = f.int / 60n;
    if (mins === 0n) {
        return `${sign}${secs}`;
    }
    const hours = mins / 60n;
    return hours === 0n ? `${sign}${mins}m${secs}` : `${sign}${hours}h${mins % 60n}m${secs}`;
}

/**
 * A duration the docker provider accepts and reads back unchanged. KW validators.go:92-115
 * (validateDurationGeq0: time.ParseDuration, not negative) accepts `60s`, but KW
 * resource_docker_container_funcs.go:961-967 reads the healthcheck back with Duration.String(), so
 * anything but Go's own spelling (`1m0s`) shows as a diff on every refresh and, the block being
 * ForceNew, replaces the container on every deploy.
 */
export function isCanonicalGoDuration(d: string): boolean {
    const ns = parseGoDuration(d);
    return ns !== undefined && ns >= 0n && formatGoDuration(ns) === d;
}

const DOMAIN_COMPONENT = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
const DOMAIN = `(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[a-fA-F0-9:]+\\])(?::[0-9]+)?`;
const PATH_COMPONENT = "[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*";
const NAME = `(?:${DOMAIN}/)?${PATH_COMPONENT}(?:/${PATH_COMPONENT})*`;
/** distribution/reference v0.6.0 regexp.go ReferenceRegexp: name[:tag][@digest]. */
const REFERENCE = new RegExp(
    `^(${NAME})(?::[\\w][\\w.-]{0,127})?(?:@[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,})?$`,
);

/** distribution/reference v0.6.0 reference.go Parse: the grammar above, and a name of at most 255 characters. */
export function isImageReference(ref: string): boolean {
    const m = REFERENCE.exec(ref);
    return m !== null && m[1].length <= 255;
}

type Inputs = Record<string, unknown>;

function str(v: unknown): string {
    return typeof v === "string" ? v : JSON.stringify(v);
}

function list(v: unknown): Inputs[] {
    return Array.isArray(v) ? (v as Inputs[]) : [];
}

function nonEmpty(v: unknown): boolean {
    return typeof v === "string" && v !== "";
}

/** KW resource_docker_container.go:1054-1094 (healthcheck block). */
function healthcheckRejections(hc: Inputs): string[] {
    const errors: string[] = [];
    // Stricter than the provider on purpose (`test` is Optional, resource_docker_container.go:1054): without
    // tests the image's own HEALTHCHECK (or none) would decide what `wait` waits for.
    if (!Array.isArray(hc.tests) || hc.tests.length === 0) {
        errors.push("healthcheck.tests is required");
    }
    for (const k of ["interval", "timeout", "startPeriod", "startInterval"]) {
        if (hc[k] !== undefined && !isCanonicalGoDuration(str(hc[k]))) {
            errors.push(
                `healthcheck.${k} ${str(hc[k])} is not a canonical Go duration` +
                    (parseGoDuration(str(hc[k])) === undefined ? "" : ` (Docker reads it back as it prints it)`),
            );
        }
    }
    // validateIntegerGeqThan(0), line 1092.
    if (hc.retries !== undefined && !(Number.isInteger(hc.retries) && Number(hc.retries) >= 0)) {
        errors.push(`healthcheck.retries must be an integer >= 0, got ${str(hc.retries)}`);
    }
    return errors;
}

/**
 * KW resource_docker_container_structures.go:306-325 (volumeSetToDockerVolumes): a volume is either
 * `fromContainer` alone, or a `containerPath` (bound to hostPath, else volumeName, else anonymous).
 * hostPath: validateDockerContainerPath (validators.go:161-176, resource_docker_container.go:458).
 */
function volumeRejections(v: Inputs): string[] {
    const errors: string[] = [];
    const from = nonEmpty(v.fromContainer);
    const cp = nonEmpty(v.containerPath) ? str(v.containerPath) : "";
    if (!from && cp === "") {
        errors.push("volume entry without container path or source container");
    }
    if (from && cp !== "") {
        errors.push(`volume ${cp}: both a container and a path specified in a volume entry`);
    }
    // Docker's daemon refuses a bind to a relative container path ("invalid volume specification").
    if (cp !== "" && !cp.startsWith("/")) {
        errors.push(`volume containerPath must be absolute, got ${cp}`);
    }
    if (v.hostPath !== undefined && !/^[a-zA-Z]:[\\/]|^\//.test(str(v.hostPath))) {
        errors.push(`hostPath must be absolute, got ${str(v.hostPath)}`);
    }
    // Stricter than the provider on purpose: "If host_path is set, it takes precedence over volume_name"
    // (resource_docker_container.go:455), so setting both silently drops the named volume.
    if (nonEmpty(v.hostPath) && nonEmpty(v.volumeName)) {
        errors.push(`volume ${cp}: volumeName is ignored when hostPath is set; give one of them`);
    }
    return errors;
}

/** KW resource_docker_container.go:985-1040 (upload schema) and resource_docker_container_funcs.go:505-526. */
function uploadRejections(u: Inputs): string[] {
    const errors: string[] = [];
    if (!str(u.file ?? "").startsWith("/")) {
        errors.push(`upload file must be an absolute path, got ${str(u.file)}`);
    }
    const sources = ["content", "contentBase64", "source"].filter((k) => nonEmpty(u[k]));
    if (sources.length === 0) {
        errors.push(`upload ${str(u.file)}: one of 'content', 'content_base64', or 'source' must be set`);
    }
    if (sources.length > 1) {
        errors.push(`upload ${str(u.file)}: only one of 'content', 'content_base64', or 'source' can be set`);
    }
    // validateStringMatchesPattern(`^0[0-7]{3}$`), resource_docker_container.go:1027.
    if (u.permissions !== undefined && !/^0[0-7]{3}$/.test(str(u.permissions))) {
        errors.push(`upload ${str(u.file)}: permissions ${str(u.permissions)} must match ^0[0-7]{3}$ (e.g. 0400)`);
    }
    // validateStringIsBase64Encoded (validators.go:145): Go's base64.StdEncoding, padded.
    if (
        nonEmpty(u.contentBase64) &&
        !/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(str(u.contentBase64))
    ) {
        errors.push(`upload ${str(u.file)}: contentBase64 is not valid base64`);
    }
    return errors;
}

const RESTART = /^(no|on-failure|always|unless-stopped)$/; // resource_docker_container.go:235
const DOCKER_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/; // Docker daemon: daemon/names validContainerNamePattern

function isPort(p: unknown): boolean {
    return typeof p === "number" && Number.isInteger(p) && p >= 1 && p <= 65535;
}

/** docker:index/container:Container. */
export function containerRejections(inputs: Inputs): string[] {
    const errors: string[] = [];
    if (!nonEmpty(inputs.image)) {
        errors.push("image is required"); // resource_docker_container.go:144 (Required)
    }
    if (inputs.name !== undefined && !DOCKER_NAME.test(str(inputs.name))) {
        errors.push(`invalid container name ${str(inputs.name)}`);
    }
    if (inputs.restart !== undefined && !RESTART.test(str(inputs.restart))) {
        errors.push(`restart must be one of no, on-failure, always, unless-stopped, got ${str(inputs.restart)}`);
    }
    const hc = inputs.healthcheck as Inputs | undefined;
    if (hc) {
        errors.push(...healthcheckRejections(hc));
    }
    for (const v of list(inputs.volumes)) {
        errors.push(...volumeRejections(v));
    }
    for (const p of list(inputs.ports)) {
        if (!isPort(p.internal) || (p.external !== undefined && !isPort(p.external))) {
            errors.push(`port out of range: ${JSON.stringify(p)}`);
        }
    }
    for (const e of (inputs.envs as unknown[] | undefined) ?? []) {
        if (typeof e !== "string" || !/^[A-Za-z_][A-Za-z0-9_]*=/.test(e)) {
            errors.push(`env entry must be KEY=VALUE, got ${JSON.stringify(e)}`);
        }
    }
    for (const u of list(inputs.uploads)) {
        errors.push(...uploadRejections(u));
    }
    for (const l of list(inputs.labels)) {
        if (typeof l.label !== "string" || typeof l.value !== "string") {
            errors.push(`labels are {label, value} string pairs, got ${JSON.stringify(l)}`);
        }
    }
    // networks_advanced.name is Required (resource_docker_container.go:916-920).
    for (const n of list(inputs.networksAdvanced)) {
        if (!nonEmpty(n.name)) {
            errors.push(`networksAdvanced entry without a name: ${JSON.stringify(n)}`);
        }
    }
    // KW resource_docker_container_funcs.go writes `upload` with CopyToContainer after the create, which the
    // engine refuses on a read-only root (moby v20.10 daemon/archive.go, ErrRootFSReadOnly: "container rootfs
    // is marked read-only"; seen on this machine's 20.10 engine with docker cp).
    if (inputs.readOnly === true && list(inputs.uploads).length > 0) {
        errors.push(
            "uploads into a read-only root fail: the engine refuses the copy (container rootfs is marked read-only)",
        );
    }
    // resource_docker_container_funcs.go:599: wait on a container without any healthcheck fails the create.
    if (inputs.wait === true && inputs.healthcheck === undefined) {
        errors.push("wait needs a healthcheck");
    }
    return errors;
}

/** CMD logging.go:12-15: the Logging enum. */
export const COMMAND_LOGGING = ["stdout", "stderr", "stdoutAndStderr", "none"] as const;

/** command:local:Command. */
export function commandRejections(inputs: Inputs): string[] {
    const errors: string[] = [];
    if (!nonEmpty(inputs.create)) {
        errors.push("create is required");
    }
    for (const [k, v] of Object.entries((inputs.environment as Inputs | undefined) ?? {})) {
        if (typeof v !== "string") {
            errors.push(`environment.${k} must be a string`);
        }
    }
    if (inputs.logging !== undefined && !(COMMAND_LOGGING as readonly string[]).includes(str(inputs.logging))) {
        errors.push(`logging must be one of ${COMMAND_LOGGING.join(", ")}, got ${str(inputs.logging)}`);
    }
    return errors;
}

function isRemote(location: string): boolean {
    // moby's urlutil.IsRemoteURL: git/http(s) URLs.
    return /^(?:https?:\/\/|git@|git:\/\/|github\.com\/)/.test(location);
}

/** Export entries as the CLI string Export.String() builds (export.go:121-126), for the push check. */
function exportPushes(e: Inputs): boolean {
    if (e.disabled === true) {
        return false;
    }
    if (e.registry !== undefined) {
        return (e.registry as Inputs).push !== false; // ExportRegistry defaults push to true (export.go:413-419)
    }
    if (e.image !== undefined) {
        return (e.image as Inputs).push === true;
    }
    const raw = str(e.raw ?? "");
    return /(^|,)type=registry(,|$)/.test(raw) ? !/(^|,)push=false(,|$)/.test(raw) : /(^|,)push=true(,|$)/.test(raw);
}

/** docker-build:index:Image: ImageArgs.validate (image.go:534-680) at `pulumi up`. */
export function dockerBuildRejections(inputs: Inputs, cwd: string = process.cwd()): string[] {
    const errors: string[] = [];
    if (typeof inputs.push !== "boolean") {
        errors.push("push is required"); // image.go:106, `pulumi:"push"` (not optional)
    }
    const context = str((inputs.context as Inputs | undefined)?.location ?? ".");
    const contextOk =
        isRemote(context) || fs.statSync(path.resolve(cwd, context), { throwIfNoEntry: false })?.isDirectory();
    if (!contextOk) {
        errors.push(`context.location ${JSON.stringify(context)}: not a valid directory or URL`); // context.go:136-145
    }
    const df = (inputs.dockerfile as Inputs | undefined) ?? {};
    if (nonEmpty(df.location) && nonEmpty(df.inline)) {
        errors.push(`dockerfile: only specify "file" or "inline", not both`); // dockerfile.go:59-64
    }
    // dockerfile.go:66-81 opens the file; context.go:130-134 defaults it to <context>/Dockerfile.
    const file = nonEmpty(df.location) ? str(df.location) : nonEmpty(df.inline) ? "" : path.join(context, "Dockerfile");
    if (file !== "" && !isRemote(file) && !fs.statSync(path.resolve(cwd, file), { throwIfNoEntry: false })?.isFile()) {
        errors.push(`dockerfile.location ${JSON.stringify(file)}: no such file`);
    }
    const tags = (inputs.tags as unknown[] | undefined) ?? [];
    tags.forEach((t, i) => {
        if (!isImageReference(str(t))) {
            errors.push(`tags[${i}] ${str(t)} is not a valid image reference`); // image.go:646-650
        }
    });
    // image.go:435-437 turns push into a registry export; export.go:227-230 needs a tag for it.
    const pushes = inputs.push === true || list(inputs.exports).some(exportPushes);
    if (pushes && tags.length === 0) {
        errors.push("at least one tag or export name is needed when pushing to a registry");
    }
    return errors;
}

function emptyStrings(m: unknown): string[] {
    return Object.entries((m as Inputs | undefined) ?? {})
        .filter(([k, v]) => k === "" || v === "")
        .map(([k]) => k);
}

/**
 * Why docker-build would skip the build during `pulumi preview` (empty when it builds). The rule, from
 * image.go v0.0.22: Create logs "Skipping preview build because some inputs are unknown" (752-754) unless
 * buildable() (447-451), which requires `reflect.DeepEqual(args, args.normalize(true))`. normalize
 * (407-443) drops every empty string (unknowns arrive as zero values: preview.go stringKeeper, mapKeeper,
 * registryKeeper) AND appends a registry export when `push` is true (435-437) and a docker export when
 * `load` is true (438-440), so `push: true` or `load: true` never builds on preview. An explicit registry
 * export builds, and export.go:236-239 turns its push off during previews.
 */
export function previewBuildBlockers(inputs: Inputs): string[] {
    const blockers: string[] = [];
    if (inputs.buildOnPreview === false) {
        blockers.push("buildOnPreview is false");
    }
    if (inputs.push === true) {
        blockers.push("push: true (normalize adds a registry export, so buildable() is false)");
    }
    if (inputs.exec === true) {
        blockers.push("exec: true (normalize does not copy it, so buildable() is false)");
    }
    if (inputs.load === true) {
        blockers.push("load: true (normalize adds a docker export, so buildable() is false)");
    }
    for (const key of ["buildArgs", "labels", "secrets"]) {
        for (const k of emptyStrings(inputs[key])) {
            blockers.push(`${key}.${k} is empty (dropped as unknown in preview)`);
        }
    }
    for (const key of ["tags", "addHosts", "platforms"]) {
        if (((inputs[key] as unknown[] | undefined) ?? []).some((x) => x === "")) {
            blockers.push(`${key} has an empty entry (dropped as unknown in preview)`);
        }
    }
    for (const r of list(inputs.registries)) {
        if (!nonEmpty(r.address) || !nonEmpty(r.password)) {
            blockers.push(`registry ${str(r.address)} without address or password (dropped in preview)`);
        }
    }
    return blockers;
}

/**
 * Whether a `docker.Network`'s `options` make the next `pulumi up` plan a replacement, as the provider and the
 * bridge decide it. KW resource_docker_network.go: `options` is Optional, Computed and ForceNew; its Read
 * (resource_docker_network_funcs.go, resourceDockerNetworkReadRefreshFunc) stores every option the engine
 * reports, and for an overlay the engine adds `com.docker.network.driver.overlay.vxlanid_list`. The SDK's map
 * diff (terraform-plugin-sdk v2 helper/schema/schema.go schemaMap.diffMap) marks a change when the numbers of
 * keys differ or a configured key differs, and ignores an unset map of a Computed attribute; a change of a
 * ForceNew attribute is a replacement. `ignoreChanges` on `options` drops those attributes from the diff
 * (pulumi-terraform-bridge pkg/tfshim/sdk-v2 instance_diff.go processIgnoreChanges).
 */
export function networkOptionsReplace(
    state: Readonly<Record<string, string>>,
    config: Readonly<Record<string, string>> | undefined,
    ignoreChanges: readonly string[] = [],
): boolean {
    if (ignoreChanges.includes("options") || config === undefined) {
        return false;
    }
    const keys = Object.keys(config);
    return keys.length !== Object.keys(state).length || keys.some((k) => state[k] !== config[k]);
}

/** The options the engine reports for an overlay network created with `options` (moby: the VNI Swarm allocated). */
export function overlayOptionsRead(options: Readonly<Record<string, string>> | undefined): Record<string, string> {
    return { "com.docker.network.driver.overlay.vxlanid_list": "4097", ...options };
}
