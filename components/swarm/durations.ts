import { goDuration } from "../renderer/durations";

/**
 * A duration as the Swarm service resource reads it back: Go's Duration.String() with a trailing
 * zero unit dropped (`shortDur` in kreuzwerker/terraform-provider-docker v4.5.0
 * internal/provider/resource_docker_service_structures.go): 1m, 1m30s, 1h, 1h30m, 10s. Anything else
 * (the container resource's 1m0s) would show as a change on every refresh.
 */
export function shortDuration(seconds: number): string {
    let s = goDuration(seconds);
    if (s.endsWith("m0s")) {
        s = s.slice(0, -2);
    }
    if (s.endsWith("h0m")) {
        s = s.slice(0, -2);
    }
    return s;
}
