/**
 * Preloaded (`node --require`) before @pulumi/pulumi's language-host entry point (cmd/run/index.js) so
 * that the real entry point runs the program against Pulumi's mocks instead of an engine: the run is
 * started with --monitor=mock, which the SDK's settings treat as "mocks are set" (runtime/settings.js,
 * getMonitor). Resources get their inputs as outputs; the stack's reference to its own last deploy gets
 * FRAPPE_TEST_PREVIOUS_OUTPUTS (JSON) as that deploy's outputs.
 */
import * as pulumi from "@pulumi/pulumi";

void pulumi.runtime.setMocks(
    {
        newResource: (a) => {
            const previous = JSON.parse(process.env.FRAPPE_TEST_PREVIOUS_OUTPUTS ?? "{}") as Record<string, unknown>;
            const state: Record<string, unknown> = { ...(a.inputs as Record<string, unknown>) };
            if (a.type === "pulumi:pulumi:StackReference") {
                state.outputs = previous;
            }
            return { id: `${a.name}-id`, state };
        },
        call: (a) => a.inputs as Record<string, unknown>,
    },
    process.env.PULUMI_NODEJS_PROJECT ?? "frappe",
    process.env.PULUMI_NODEJS_STACK ?? "local",
    true,
    process.env.PULUMI_NODEJS_ORGANIZATION ?? "organization",
);
