// One metric of many runs in one chart: one colour per run, hover names the run and its value,
// a click on a line opens the run; grouped by a column (URL state "group"), one mean line per
// group with the band of its runs.
import type { JSX } from "preact";
import { useEffect, useMemo, useState } from "preact/hooks";
import { type ChartDocument, fetchCharts } from "../api/charts";
import type { ApiError } from "../api/http";
import { runColor } from "../colors";
import { Chart } from "./Chart";
import type { ChartLine } from "./chartData";
import { setChartState, useChartState } from "./chartState";
import { groupChart } from "./groups";

export type RunsChartProps = {
  metric: string;
  runIds: string[];
  colors: Record<string, string>;
  onOpenRun(id: string): void;
  /** Names shown on hover (default: the run id). */
  labels?: Record<string, string>;
  /** The value of the grouping column of each run, when the runs are grouped. */
  groups?: Record<string, string>;
  /** Zero of relative time per run (its start). */
  origins?: Record<string, number>;
  height?: number;
};

/** Fewer buckets per run as more runs share a chart: the drawing and the server's work stay
 * about the same size (50 runs: 320 buckets each). */
function bucketsFor(runs: number): number {
  return Math.max(100, Math.min(1000, Math.floor(16_000 / Math.max(1, runs))));
}

export function RunsChart(props: RunsChartProps): JSX.Element {
  const state = useChartState();
  const { metric, runIds } = props;
  const [charts, setCharts] = useState<{ raw: ChartDocument[]; smoothed: ChartDocument[] } | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const ids = runIds.join(",");
  const first = state.zoom?.first ?? null;
  const last = state.zoom?.last ?? null;
  const smoothing = state.smoothing;

  useEffect(() => {
    const abort = new AbortController();
    const request = { buckets: bucketsFor(runIds.length), firstStep: first, lastStep: last };
    Promise.all([
      fetchCharts(runIds, metric, request, abort.signal),
      smoothing ? fetchCharts(runIds, metric, { ...request, smoothing }, abort.signal) : Promise.resolve([]),
    ])
      .then(([raw, smoothed]) => {
        setCharts({ raw, smoothed });
        setError(null);
      })
      .catch((failure: ApiError) => {
        if (!abort.signal.aborted) setError(failure);
      });
    return () => abort.abort();
  }, [ids, metric, first, last, smoothing]);

  const lines = useMemo<ChartLine[]>(() => {
    if (!charts) return [];
    const smoothed = new Map(charts.smoothed.map((c) => [c.run_id, c]));
    if (props.groups) return groupLines(metric, charts.raw, smoothed, props.groups);
    return charts.raw.map((chart) => ({
      key: chart.run_id,
      label: props.labels?.[chart.run_id] ?? chart.run_id,
      runId: chart.run_id,
      color: props.colors[chart.run_id] ?? "#2f6fde",
      chart,
      smoothed: smoothed.get(chart.run_id),
      origin: props.origins?.[chart.run_id],
    }));
  }, [charts, metric, props.groups, props.colors, props.labels, props.origins]);

  if (error) return <p class="chart-error">{error.message}</p>;
  if (!charts) return <div class="chart-loading" style={{ height: `${props.height ?? 220}px` }} />;
  if (charts.raw.length === 0) return <p class="muted">No run here has logged {metric}.</p>;
  return (
    <Chart
      lines={lines}
      x={state.x}
      log={state.log}
      height={props.height}
      onZoom={(zoom) => setChartState({ zoom })}
      onOpenRun={props.onOpenRun}
      label={`${metric} of ${charts.raw.length} runs`}
    />
  );
}

function groupLines(
  metric: string,
  raw: ChartDocument[],
  smoothed: Map<string, ChartDocument>,
  groups: Record<string, string>,
): ChartLine[] {
  const members = new Map<string, ChartDocument[]>();
  for (const chart of raw) {
    const group = groups[chart.run_id] ?? "(none)";
    members.set(group, [...(members.get(group) ?? []), chart]);
  }
  return [...members].map(([group, charts]) => {
    const first = charts[0] as ChartDocument;
    const smooth = charts
      .map((c) => smoothed.get(c.run_id))
      .filter((c): c is ChartDocument => c !== undefined);
    return {
      key: `group:${group}`,
      label: group,
      color: runColor(`group:${group}`),
      chart: groupChart(first.run_id, metric, charts),
      smoothed: smooth.length === charts.length ? groupChart(first.run_id, metric, smooth) : undefined,
      count: charts.length,
    };
  });
}
