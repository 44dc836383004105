// Chart documents of the server as uPlot's aligned data: per line a band (each bucket's least and
// greatest value) and the line through the buckets' last values (or their smoothed values).
import uPlot from "uplot";
import type { ChartDocument } from "../api/charts";

/** The x axis: the step, wall time, time since the run's start, or another metric of the run
 * (its value at each bucket's last step). */
export type XMode = "step" | "time" | "relative" | "metric";

/** One line of a chart: a run's metric, or a group of runs. */
export type ChartLine = {
  key: string;
  /** Shown on hover: the run's name (or the group's). */
  label: string;
  /** The run a click on the line opens (none for a group). */
  runId?: string;
  color: string;
  /** Buckets of the raw points: the band, and the line unless `smoothed` is given. */
  chart: ChartDocument;
  /** Buckets of the smoothed points: the line, with the raw line faint. */
  smoothed?: ChartDocument;
  /** Zero of relative time, seconds since the epoch (the run's start). */
  origin?: number;
  /** Runs behind a group's line (shown on hover). */
  count?: number;
  /** With x "metric": the x of each bucket of `chart` and of `smoothed` (NaN: none yet). */
  xs?: number[];
  smoothedXs?: number[];
};

/** What each uPlot series (after x) draws. */
export type SeriesRole = { line: number; role: "main" | "raw" | "min" | "max" };

export type PlotData = { data: uPlot.AlignedData; roles: SeriesRole[] };

export function xValues(
  chart: ChartDocument,
  mode: XMode,
  origin: number | undefined,
  xs?: number[],
): number[] {
  if (mode === "metric") return xs ?? chart.last_steps.map(() => Number.NaN);
  if (mode === "step") return chart.last_steps;
  if (mode === "time") return chart.last_times;
  const zero = origin ?? chart.last_times[0] ?? 0;
  return chart.last_times.map((t) => t - zero);
}

function positive(values: (number | null)[], log: boolean): (number | null)[] {
  return log ? values.map((v) => (v !== null && v > 0 ? v : null)) : values;
}

/** The values of a metric at `steps`: at each, its latest bucket's last value up to that step
 * (NaN before its first). Both step lists go up. */
export function valuesAtSteps(steps: readonly number[], other: ChartDocument): number[] {
  const found: number[] = [];
  let at = -1;
  for (const step of steps) {
    while (at + 1 < other.last_steps.length && (other.last_steps[at + 1] as number) <= step) at++;
    found.push(at >= 0 ? (other.last[at] ?? Number.NaN) : Number.NaN);
  }
  return found;
}

function sortedTable(xs: number[], columns: (number | null)[][]): uPlot.AlignedData {
  if (xs.some(Number.isNaN)) {
    const keep = xs.map((x, i) => (Number.isNaN(x) ? -1 : i)).filter((i) => i >= 0);
    return sortedTable(
      keep.map((i) => xs[i] as number),
      columns.map((c) => keep.map((i) => c[i] ?? null)),
    );
  }
  let ascending = true;
  for (let i = 1; i < xs.length && ascending; i++) ascending = (xs[i] as number) >= (xs[i - 1] as number);
  if (ascending) return [xs, ...columns];
  const order = xs.map((_, i) => i).sort((a, b) => (xs[a] as number) - (xs[b] as number));
  return [order.map((i) => xs[i] as number), ...columns.map((c) => order.map((i) => c[i] ?? null))];
}

/** uPlot data for `lines`: series main, min, max (and raw when smoothed) per line. */
export function plotData(lines: readonly ChartLine[], mode: XMode, log: boolean): PlotData {
  const tables: uPlot.AlignedData[] = [];
  const roles: SeriesRole[] = [];
  lines.forEach((line, index) => {
    const raw = line.chart;
    const xs = xValues(raw, mode, line.origin, line.xs);
    tables.push(
      sortedTable(xs, [positive(raw.last, log), positive(raw.minimum, log), positive(raw.maximum, log)]),
    );
    roles.push(
      { line: index, role: line.smoothed ? "raw" : "main" },
      { line: index, role: "min" },
      { line: index, role: "max" },
    );
    if (line.smoothed) {
      const smooth = line.smoothed;
      tables.push(
        sortedTable(xValues(smooth, mode, line.origin, line.smoothedXs), [positive(smooth.last, log)]),
      );
      roles.push({ line: index, role: "main" });
    }
  });
  if (tables.length === 0) return { data: [[]], roles };
  const data = tables.length === 1 ? (tables[0] as uPlot.AlignedData) : uPlot.join(tables);
  return { data, roles };
}

/** The step range that the x range [low, high] of the drawn lines covers. */
export function stepRange(
  lines: readonly ChartLine[],
  mode: XMode,
  low: number,
  high: number,
): { first: number; last: number } | null {
  if (mode === "step") return high > low ? { first: Math.floor(low), last: Math.ceil(high) } : null;
  let first = Number.POSITIVE_INFINITY;
  let last = Number.NEGATIVE_INFINITY;
  for (const line of lines) {
    const xs = xValues(line.chart, mode, line.origin, line.xs);
    for (let i = 0; i < xs.length; i++) {
      const x = xs[i] as number;
      if (x >= low && x <= high) {
        first = Math.min(first, line.chart.first_steps[i] as number);
        last = Math.max(last, line.chart.last_steps[i] as number);
      }
    }
  }
  return first <= last ? { first, last } : null;
}

/** A number as a chart shows it: short, but exact for integers. */
export function formatValue(value: number | null | undefined): string {
  if (value === null || value === undefined) return "–";
  if (Number.isInteger(value)) return String(value);
  const abs = Math.abs(value);
  if (abs !== 0 && (abs < 1e-3 || abs >= 1e6)) return value.toExponential(4);
  return String(Number(value.toPrecision(6)));
}

export function formatX(value: number, mode: XMode, label?: string): string {
  if (mode === "metric") return `${label ?? "x"} ${formatValue(value)}`;
  if (mode === "step") return `step ${value}`;
  if (mode === "time") return new Date(value * 1000).toLocaleString();
  return `${formatDuration(value)} in`;
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return "–";
  if (seconds < 60) return `${Number(seconds.toFixed(seconds < 10 ? 2 : 1))} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ${Math.round(seconds % 60)} s`;
  const hours = Math.floor(minutes / 60);
  return `${hours} h ${minutes % 60} min`;
}
