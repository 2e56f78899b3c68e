/**
 * Runs policies the way the policy server does, without the Pulumi CLI: props are wrapped in the
 * SDK's own unknown-checking proxy (so array/object access inside a policy behaves as in a real
 * preview), and violations are collected instead of sent over gRPC. Used by the unit tests and by
 * the test that runs every shipped stack through the pack.
 */
import type {
    PolicyResource,
    PolicyResourceOptions,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationPolicy,
} from "@pulumi/policy";

interface ProxyModule {
    unknownCheckingProxy<T extends object>(toProxy: T): T;
    unknownStringValue: string;
    UnknownValueError: new (...args: never[]) => Error;
}

// The proxy is internal to @pulumi/policy (its .d.ts exports nothing), but it is what the server
// hands to policies; testing through it is the point.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const proxy = require("@pulumi/policy/proxy") as ProxyModule;

/** What a property holds during preview when it is not known yet. */
export const UNKNOWN_STRING = proxy.unknownStringValue;
export const UnknownValueError = proxy.UnknownValueError;

export interface ResourceUnderTest {
    readonly type: string;
    readonly name: string;
    readonly props: Record<string, unknown>;
    readonly urn?: string;
    readonly opts?: Partial<PolicyResourceOptions>;
    /** Per-policy config, keyed by policy name, as in a --policy-pack-config file. */
    readonly config?: Readonly<Record<string, Record<string, unknown>>>;
    readonly stack?: string;
}

export function validationArgs(r: ResourceUnderTest, policyName: string): ResourceValidationArgs {
    const stack = r.stack ?? "staging";
    const props = proxy.unknownCheckingProxy({ ...r.props });
    return {
        type: r.type,
        props,
        urn: r.urn ?? `urn:pulumi:${stack}::frappe::${r.type}::${r.name}`,
        name: r.name,
        opts: {
            protect: false,
            ignoreChanges: [],
            aliases: [],
            customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
            additionalSecretOutputs: [],
            ...r.opts,
        },
        stackTags: new Map<string, string>(),
        isType: () => false,
        asType: () => undefined,
        getConfig: <T extends object>() => ({ ...r.config?.[policyName] }) as T,
        notApplicable: (reason?: string) => {
            throw new Error(`notApplicable is not used by these policies (${reason ?? "no reason"})`);
        },
    };
}

/** Violation messages of one policy for one resource. */
export async function violations(policy: ResourceValidationPolicy, r: ResourceUnderTest): Promise<string[]> {
    const found: string[] = [];
    const report: ReportViolation = (message: string) => {
        found.push(message);
    };
    const validations = policy.validateResource === undefined ? [] : [policy.validateResource].flat();
    for (const validate of validations) {
        await validate(validationArgs(r, policy.name), report);
    }
    return found;
}

/** `policy: message` for every policy and resource, in order. */
export async function allViolations(
    policies: readonly ResourceValidationPolicy[],
    resources: readonly ResourceUnderTest[],
): Promise<string[]> {
    const out: string[] = [];
    for (const r of resources) {
        for (const p of policies) {
            for (const message of await violations(p, r)) {
                out.push(`${p.name}: ${message}`);
            }
        }
    }
    return out;
}

/** Violation messages of one stack policy for a set of resources, each as the server hands it (props proxied). */
export async function stackViolations(
    policy: StackValidationPolicy,
    resources: readonly ResourceUnderTest[],
): Promise<string[]> {
    const found: string[] = [];
    const policyResources: PolicyResource[] = resources.map((r) => {
        const args = validationArgs(r, policy.name);
        return {
            type: args.type,
            props: args.props,
            urn: args.urn,
            name: args.name,
            opts: args.opts,
            dependencies: [],
            propertyDependencies: {},
            isType: () => false,
            asType: () => undefined,
        };
    });
    await policy.validateStack(
        {
            resources: policyResources,
            stackTags: new Map<string, string>(),
            getConfig: <T extends object>() => ({}) as T,
            notApplicable: (reason?: string) => {
                throw new Error(`notApplicable is not used by these policies (${reason ?? "no reason"})`);
            },
        },
        (message: string) => {
            found.push(message);
        },
    );
    return found;
}
