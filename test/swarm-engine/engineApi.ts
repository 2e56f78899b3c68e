import * as http from "http";

/**
 * The Docker Engine API of one node, over its unix socket, at the API version the provider's client
 * negotiates with a 20.10 engine (1.41: the engine's maximum, which the Go client downgrades to).
 */

export const API_VERSION = "v1.41";

export interface EngineResponse {
    readonly status: number;
    readonly body: unknown;
    readonly text: string;
}

export class EngineError extends Error {
    constructor(
        readonly status: number,
        message: string,
    ) {
        super(message);
    }
}

export class Engine {
    constructor(readonly socketPath: string) {}

    /** Sends one request; resolves with any status (the caller decides what is an error). */
    request(
        method: string,
        path: string,
        options: { body?: unknown; headers?: Record<string, string>; timeoutMs?: number } = {},
    ): Promise<EngineResponse> {
        const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
        return new Promise((resolve, reject) => {
            const req = http.request(
                {
                    socketPath: this.socketPath,
                    method,
                    path: `/${API_VERSION}${path}`,
                    headers: {
                        ...(payload === undefined ? {} : { "Content-Type": "application/json" }),
                        ...options.headers,
                    },
                    timeout: options.timeoutMs ?? 120_000,
                },
                (res) => {
                    const chunks: Buffer[] = [];
                    res.on("data", (c: Buffer) => chunks.push(c));
                    res.on("end", () => {
                        const text = Buffer.concat(chunks).toString("utf8");
                        let body: unknown = text;
                        try {
                            body = text === "" ? undefined : JSON.parse(text);
                        } catch {
                            // not JSON (a plain-text error or a stream): keep the text
                        }
                        resolve({ status: res.statusCode ?? 0, body, text });
                    });
                },
            );
            req.on("timeout", () => req.destroy(new Error(`${method} ${path}: no answer from ${this.socketPath}`)));
            req.on("error", reject);
            req.end(payload);
        });
    }

    /** Like `request`, but a status of 400 or more is an error carrying the engine's message. */
    async call<T>(method: string, path: string, options: Parameters<Engine["request"]>[2] = {}): Promise<T> {
        const r = await this.request(method, path, options);
        if (r.status >= 400) {
            const message = (r.body as { message?: string } | undefined)?.message ?? r.text;
            throw new EngineError(r.status, `${method} ${path}: ${r.status} ${message}`);
        }
        return r.body as T;
    }
}

/** `filters` query parameter as the Go client encodes it (filters.ToJSON: each key to a set of values). */
export function filtersQuery(filters: Record<string, string[]>): string {
    const encoded: Record<string, Record<string, boolean>> = {};
    for (const [k, values] of Object.entries(filters)) {
        encoded[k] = Object.fromEntries(values.map((v) => [v, true]));
    }
    return `filters=${encodeURIComponent(JSON.stringify(encoded))}`;
}
