// Chart settings a user would share, kept in the query string: x axis, smoothing, log scale, zoom.
import { setQuery, useLocation } from "../router";
import type { StepRange } from "./Chart";
import type { XMode } from "./chartData";

export type ChartState = {
  x: XMode;
  /** With x "metric": the metric whose values are the x axis. */
  xMetric: string | null;
  smoothing: number;
  log: boolean;
  zoom: StepRange | null;
  group: string;
};

const X_MODES: readonly XMode[] = ["step", "time", "relative", "metric"];

export function chartStateOf(query: URLSearchParams): ChartState {
  const asked = query.get("x") ?? "";
  const x = (asked.startsWith("metric:") ? "metric" : asked) as XMode;
  const smoothing = Number(query.get("smooth") ?? 0);
  const zoom = /^(-?\d+):(-?\d+)$/.exec(query.get("zoom") ?? "");
  return {
    x: X_MODES.includes(x) ? x : "step",
    xMetric: asked.startsWith("metric:") ? asked.slice("metric:".length) : null,
    smoothing: Number.isFinite(smoothing) && smoothing > 0 && smoothing < 1 ? smoothing : 0,
    log: query.get("log") === "1",
    zoom: zoom ? { first: Number(zoom[1]), last: Number(zoom[2]) } : null,
    group: query.get("group") ?? "",
  };
}

export function useChartState(): ChartState {
  return chartStateOf(useLocation().query);
}

export function setChartState(changes: Partial<ChartState>): void {
  const query: Record<string, string | null> = {};
  if (changes.x !== undefined)
    query.x =
      changes.x === "step" ? null : changes.x === "metric" ? `metric:${changes.xMetric ?? ""}` : changes.x;
  if (changes.smoothing !== undefined) query.smooth = changes.smoothing ? String(changes.smoothing) : null;
  if (changes.log !== undefined) query.log = changes.log ? "1" : null;
  if (changes.zoom !== undefined)
    query.zoom = changes.zoom ? `${changes.zoom.first}:${changes.zoom.last}` : null;
  if (changes.group !== undefined) query.group = changes.group || null;
  setQuery(query);
}
