// Chart series of metrics, downsampled by the server (/runs/{id}/chart, /charts): never raw points.
import { getJSON } from "./http";
import type { components } from "./schema";

/** A metric over a step range in buckets: each bucket's first and last step, least and greatest
 * value, and the value and time (seconds since the epoch) of its last point. */
export type ChartDocument = components["schemas"]["ChartDocument"];

export type ChartRequest = {
  buckets: number;
  /** Inclusive step range; absent: the whole series. */
  firstStep?: number | null;
  lastStep?: number | null;
  /** Weight of the debiased moving average the server applies to every point first; 0: none. */
  smoothing?: number;
};

function query(request: ChartRequest): URLSearchParams {
  const params = new URLSearchParams({
    buckets: String(Math.max(1, Math.min(10_000, Math.round(request.buckets)))),
  });
  if (request.firstStep != null) params.set("first_step", String(request.firstStep));
  if (request.lastStep != null) params.set("last_step", String(request.lastStep));
  if (request.smoothing) params.set("smoothing", String(request.smoothing));
  return params;
}

export function fetchChart(
  runId: string,
  name: string,
  request: ChartRequest,
  signal?: AbortSignal,
): Promise<ChartDocument> {
  const params = query(request);
  params.set("name", name);
  return getJSON<ChartDocument>(`/runs/${encodeURIComponent(runId)}/chart?${params}`, signal);
}

/** One metric of many runs (at most 100 per request); runs without the metric are left out. */
export async function fetchCharts(
  runIds: readonly string[],
  name: string,
  request: ChartRequest,
  signal?: AbortSignal,
): Promise<ChartDocument[]> {
  const parts: Promise<ChartDocument[]>[] = [];
  for (let start = 0; start < runIds.length; start += 100) {
    const params = query(request);
    params.set("name", name);
    for (const id of runIds.slice(start, start + 100)) params.append("run_id", id);
    parts.push(getJSON<ChartDocument[]>(`/charts?${params}`, signal));
  }
  return (await Promise.all(parts)).flat();
}
