// One run: its document, metrics, files, logs, tags, cancel and its live event stream.
import { ApiError, apiUrl, events, getJSON, sendJSON } from "./http";
import type { components } from "./schema";

type Schemas = components["schemas"];

export type MetricKind = Schemas["MetricKind"];

/** [kind, count, last step, last value, minimum, maximum] of a metric (the schema says only
 * "a list"). */
export type MetricSummary = [MetricKind, number, number | null, unknown, number | null, number | null];

/** What a failed run's error holds (the SDK writes type, message and traceback). */
export type RunError = { type?: string; message?: string; traceback?: string; [key: string]: unknown };

export type RunDocument = Omit<Schemas["RunDocument"], "metrics" | "error" | "status"> & {
  status: string;
  metrics: Record<string, MetricSummary>;
  error: RunError | null;
};

export type MetricDocument = Schemas["MetricDocument"];

export type ArtifactDocument = Schemas["ArtifactDocument"];

export const TERMINAL = new Set(["Completed", "Failed", "Canceled"]);

const runPath = (runId: string) => `/runs/${encodeURIComponent(runId)}`;
const filePath = (name: string) => name.split("/").map(encodeURIComponent).join("/");

export function getRun(runId: string, signal?: AbortSignal): Promise<RunDocument> {
  return getJSON<RunDocument>(runPath(runId), signal);
}

export function childRuns(runId: string, signal?: AbortSignal): Promise<RunDocument[]> {
  return sendJSON<RunDocument[]>(
    "POST",
    "/runs/search",
    { parent_id: runId, include_children: true },
    signal,
  );
}

export function readMetrics(
  runId: string,
  names: readonly string[],
  signal?: AbortSignal,
): Promise<MetricDocument[]> {
  const params = new URLSearchParams();
  for (const name of names) params.append("name", name);
  return getJSON<MetricDocument[]>(`${runPath(runId)}/metrics?${params}`, signal);
}

export function listFiles(runId: string, signal?: AbortSignal): Promise<ArtifactDocument[]> {
  return getJSON<ArtifactDocument[]>(`${runPath(runId)}/artifacts`, signal);
}

/** The address of a file of the run (for <img>, downloads and previews). */
export function fileUrl(runId: string, name: string): string {
  return apiUrl(`${runPath(runId)}/artifacts/${filePath(name)}`);
}

/** The first `bytes` of a file as text, and whether that is all of it. */
export async function readFileText(
  runId: string,
  name: string,
  bytes = 262_144,
): Promise<{ text: string; whole: boolean }> {
  let response: Response;
  try {
    response = await fetch(fileUrl(runId, name), {
      credentials: "same-origin",
      headers: { Range: `bytes=0-${bytes - 1}` },
    });
  } catch {
    throw new ApiError(0, "unreachable", "the server cannot be reached");
  }
  if (!response.ok)
    throw new ApiError(response.status, `http_${response.status}`, `${name}: ${response.statusText}`);
  const text = await response.text();
  const range = response.headers.get("Content-Range");
  const total = range ? Number(range.split("/")[1]) : text.length;
  return { text, whole: response.status === 200 || total <= bytes };
}

export async function readJsonFile<T>(runId: string, name: string): Promise<T> {
  const response = await fetch(fileUrl(runId, name), { credentials: "same-origin" });
  if (!response.ok)
    throw new ApiError(response.status, `http_${response.status}`, `${name}: ${response.statusText}`);
  return (await response.json()) as T;
}

export function setTags(runId: string, tags: Record<string, string | null>): Promise<undefined> {
  return sendJSON("PUT", `${runPath(runId)}/tags`, { tags });
}

export function removeTags(runId: string, keys: readonly string[]): Promise<undefined> {
  const params = new URLSearchParams();
  for (const key of keys) params.append("key", key);
  return sendJSON("DELETE", `${runPath(runId)}/tags?${params}`);
}

const ACTIVE_NOT_QUEUED = ["Preparing", "Starting", "Running", "Finalizing", "NotResponding"];

/** Cancel as `Run.cancel()` does: a queued run ends Canceled; a running submitted run is asked to
 * stop (CancelRequested, its agent stops it); an interactive run ends Canceled. */
export async function cancelRun(run: RunDocument): Promise<void> {
  const path = `${runPath(run.id)}/status`;
  const ended = Date.now() / 1000;
  if (run.run_type !== "scriptrun") {
    await sendJSON("POST", path, {
      status: "Canceled",
      ended,
      only_from: [...ACTIVE_NOT_QUEUED, "NotStarted", "Queued", "CancelRequested"],
    });
    return;
  }
  const error = { type: "Canceled", message: "canceled by request before it started" };
  const done = await sendJSON<{ changed: boolean }>("POST", path, {
    status: "Canceled",
    ended,
    error,
    only_from: ["Queued"],
  });
  if (!done.changed)
    await sendJSON("POST", path, { status: "CancelRequested", only_from: ACTIVE_NOT_QUEUED });
}

export type RunEventHandlers = {
  status?: (status: string) => void;
  /** Summaries of the metrics that changed. */
  metrics?: (changed: Record<string, MetricSummary>) => void;
  log?: (stream: string, text: string) => void;
  end?: (status: string) => void;
};

/** Follow the run's event stream until it ends. A dropped connection is opened again from the
 * last log position of each stream, so no log text arrives twice. Returns a function that stops. */
export function followRun(runId: string, handlers: RunEventHandlers): () => void {
  const positions = new Map<string, number>();
  let close: (() => void) | null = null;
  let stopped = false;
  let retry: ReturnType<typeof setTimeout> | undefined;
  const open = () => {
    if (stopped) return;
    const params = new URLSearchParams();
    for (const [stream, last] of positions) params.append("after", `${stream}:${last}`);
    close = events(
      `${runPath(runId)}/events?${params}`,
      {
        status: (data) => handlers.status?.((data as { status: string }).status),
        metrics: (data) => handlers.metrics?.((data as { metrics: Record<string, MetricSummary> }).metrics),
        log: (data) => {
          const log = data as { stream: string; text: string; last: number };
          positions.set(log.stream, log.last);
          handlers.log?.(log.stream, log.text);
        },
        end: (data) => {
          stopped = true;
          handlers.end?.((data as { status: string }).status);
        },
        onError: () => {
          if (stopped) return;
          close?.();
          retry = setTimeout(open, 1000);
        },
      },
      false,
    );
  };
  open();
  return () => {
    stopped = true;
    clearTimeout(retry);
    close?.();
  };
}
