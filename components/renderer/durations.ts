/**
 * Go's `time.Duration.String()` for whole seconds: 5s, 1m0s, 1m30s, 1h0m0s. The Docker provider reads
 * container durations back in this form (kreuzwerker/terraform-provider-docker v4.5.0
 * internal/provider/resource_docker_container_funcs.go), so writing anything else shows a change on
 * every refresh.
 */
export function goDuration(seconds: number): string {
    if (!Number.isInteger(seconds) || seconds < 0) {
        throw new Error(`goDuration: expected a non-negative whole number of seconds, got ${seconds}`);
    }
    if (seconds === 0) {
        return "0s";
    }
    const h = Math.floor(seconds / 3600);
    const m = Math.floor((seconds % 3600) / 60);
    const s = seconds % 60;
    if (h > 0) {
        return `${h}h${m}m${s}s`;
    }
    if (m > 0) {
        return `${m}m${s}s`;
    }
    return `${s}s`;
}
