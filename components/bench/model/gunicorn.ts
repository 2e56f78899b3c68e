import { BACKEND_PORT, BENCH_DIR, SITES_DIR } from "../layout";

/** `frappe:gunicorn`. */
export interface GunicornSettings {
    readonly workers: number;
    readonly threads: number;
    /** Seconds. */
    readonly timeout: number;
}

/**
 * The backend's command: gunicorn with our settings as its own arguments, so they take effect on every
 * image. frappe_docker's images up to v3.2.0 hard-code `--workers=2 --threads=4 --timeout=120` in their
 * CMD and ignore GUNICORN_* (frappe/frappe_docker v3.2.0, images/production/Containerfile lines
 * 156-167); commit 2c44349a ("feat: configure gunicorn with env variables", merged 2026-05-18, first
 * in v3.2.1) moved it to resources/core/start.sh, which reads GUNICORN_WORKERS/THREADS/TIMEOUT. Stock
 * `frappe/erpnext:v15.88.1` is of the older kind. The arguments are those of that CMD and of start.sh
 * (v3.2.2 resources/core/start.sh lines 11-19). Overriding the command keeps the image's ENTRYPOINT
 * (the assets link of newer images and of ours), which then execs this.
 */
export function gunicornCommand(g: GunicornSettings): string[] {
    return [
        `${BENCH_DIR}/env/bin/gunicorn`,
        `--chdir=${SITES_DIR}`,
        `--bind=0.0.0.0:${BACKEND_PORT}`,
        `--threads=${g.threads}`,
        `--workers=${g.workers}`,
        "--worker-class=gthread",
        "--worker-tmp-dir=/dev/shm",
        `--timeout=${g.timeout}`,
        "--preload",
        "frappe.app:application",
    ];
}
