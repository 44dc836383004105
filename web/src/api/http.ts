// The one place that speaks HTTP and server-sent events to the server's /api/v1.
// Requests carry the browser session's cookie (same origin), set by /api/v1/login on a server
// started with --auth; no token ever goes into a URL.

export const API_PREFIX = "/api/v1";

/** An error document of the server ({error_code, message}) or a failure to reach it. */
export class ApiError extends Error {
  readonly status: number;
  readonly errorCode: string;

  constructor(status: number, errorCode: string, message: string) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.errorCode = errorCode;
  }

  /** The server answered nothing (down, or the network failed). */
  get unreachable(): boolean {
    return this.status === 0;
  }
}

type Listener = (error: ApiError) => void;
const authListeners = new Set<Listener>();

/** Called with every 401 answer: the app then shows its login form. */
export function onAuthRequired(listener: Listener): () => void {
  authListeners.add(listener);
  return () => authListeners.delete(listener);
}

export function apiUrl(path: string): string {
  return path.startsWith(API_PREFIX) ? path : API_PREFIX + path;
}

async function request(
  method: string,
  path: string,
  body?: unknown,
  signal?: AbortSignal,
): Promise<Response> {
  let response: Response;
  try {
    response = await fetch(apiUrl(path), {
      method,
      credentials: "same-origin",
      headers: body === undefined ? { Accept: "application/json" } : { "Content-Type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal,
    });
  } catch (cause) {
    if (cause instanceof DOMException && cause.name === "AbortError") throw cause;
    throw new ApiError(
      0,
      "unreachable",
      "the server cannot be reached: is 'runhistory ui' or 'runhistory server' running?",
    );
  }
  if (!response.ok) throw await errorOf(response);
  return response;
}

async function errorOf(response: Response): Promise<ApiError> {
  let code = `http_${response.status}`;
  let message = `${response.status} ${response.statusText}`;
  try {
    const document = (await response.json()) as { error_code?: string; message?: string };
    code = document.error_code ?? code;
    message = document.message ?? message;
  } catch {
    // Not a JSON error document (a proxy's page): keep the status line.
  }
  const error = new ApiError(response.status, code, message);
  if (response.status === 401) for (const listener of authListeners) listener(error);
  return error;
}

export async function getJSON<T>(path: string, signal?: AbortSignal): Promise<T> {
  return (await (await request("GET", path, undefined, signal)).json()) as T;
}

/** A write (or a read by POST, such as /runs/search); answers without a body give undefined. */
export async function sendJSON<T = undefined>(
  method: "POST" | "PUT" | "PATCH" | "DELETE",
  path: string,
  body?: unknown,
  signal?: AbortSignal,
): Promise<T> {
  const response = await request(method, path, body, signal);
  if (response.status === 204 || response.headers.get("Content-Length") === "0") return undefined as T;
  return (await response.json()) as T;
}

export type EventHandlers = {
  [event: string]: ((data: unknown) => void) | undefined;
} & {
  onOpen?: () => void;
  onError?: () => void;
};

/** Follow a server-sent event stream; handlers get each event's parsed data. The browser
 * reconnects a dropped stream by itself; a stream the server ended ("end") is opened again
 * after a pause unless `reopen` is false. Returns a function that closes the stream. */
export function events(path: string, handlers: EventHandlers, reopen = true): () => void {
  let source: EventSource | null = null;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let closed = false;

  const open = () => {
    if (closed) return;
    source = new EventSource(apiUrl(path), { withCredentials: true });
    source.onopen = () => handlers.onOpen?.();
    source.onerror = () => handlers.onError?.();
    for (const name of Object.keys(handlers)) {
      if (name === "onOpen" || name === "onError") continue;
      source.addEventListener(name, (event) => {
        const handler = handlers[name];
        if (handler) handler(JSON.parse((event as MessageEvent<string>).data));
      });
    }
    source.addEventListener("end", () => {
      source?.close();
      if (reopen) timer = setTimeout(open, 500);
    });
  };
  open();
  return () => {
    closed = true;
    clearTimeout(timer);
    source?.close();
  };
}
