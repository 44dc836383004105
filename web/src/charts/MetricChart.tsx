// A scalar or list metric of one run, fetched as buckets for the chart's width; a zoom fetches the
// zoomed step range at full resolution; a new `version` (live points) fetches again, keeping zoom.
import type { JSX } from "preact";
import { useEffect, useMemo, useState } from "preact/hooks";
import { type ChartDocument, fetchChart } from "../api/charts";
import type { ApiError } from "../api/http";
import { Chart, type StepRange } from "./Chart";
import { type ChartLine, valuesAtSteps } from "./chartData";
import type { ChartState } from "./chartState";

export type MetricChartProps = {
  runId: string;
  runLabel: string;
  name: string;
  color: string;
  state: ChartState;
  /** Changes when the metric got new points. */
  version: number;
  /** Zero of relative time (the run's start). */
  origin?: number;
  onZoom(range: StepRange | null): void;
  height?: number;
};

/** Buckets per chart: about one per pixel of a wide chart. */
export const CHART_BUCKETS = 1000;

export function MetricChart(props: MetricChartProps): JSX.Element {
  const { runId, name, state, version } = props;
  const [charts, setCharts] = useState<{
    raw: ChartDocument;
    smoothed?: ChartDocument;
    x?: ChartDocument;
  } | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const first = state.zoom?.first ?? null;
  const last = state.zoom?.last ?? null;
  const smoothing = state.smoothing;
  const xMetric = state.x === "metric" ? state.xMetric : null;

  useEffect(() => {
    const abort = new AbortController();
    const request = { buckets: CHART_BUCKETS, firstStep: first, lastStep: last };
    Promise.all([
      fetchChart(runId, name, request, abort.signal),
      smoothing ? fetchChart(runId, name, { ...request, smoothing }, abort.signal) : undefined,
      // The x metric at a finer grain than the drawn buckets, so each bucket finds its value.
      xMetric
        ? fetchChart(runId, xMetric, { ...request, buckets: 4 * CHART_BUCKETS }, abort.signal)
        : undefined,
    ])
      .then(([raw, smoothed, x]) => {
        setCharts({ raw, smoothed, x });
        setError(null);
      })
      .catch((failure: ApiError) => {
        if (!abort.signal.aborted) setError(failure);
      });
    return () => abort.abort();
  }, [runId, name, first, last, smoothing, xMetric, version]);

  const lines = useMemo<ChartLine[]>(
    () =>
      charts
        ? [
            {
              key: runId,
              label: props.runLabel,
              runId,
              color: props.color,
              chart: charts.raw,
              smoothed: charts.smoothed,
              origin: props.origin,
              xs: charts.x && valuesAtSteps(charts.raw.last_steps, charts.x),
              smoothedXs: charts.x && charts.smoothed && valuesAtSteps(charts.smoothed.last_steps, charts.x),
            },
          ]
        : [],
    [charts, runId, props.runLabel, props.color, props.origin],
  );

  if (error) return <p class="chart-error">{error.message}</p>;
  if (!charts) return <div class="chart-loading" style={{ height: `${props.height ?? 220}px` }} />;
  return (
    <div data-count={charts.raw.count} data-buckets={charts.raw.last.length}>
      <Chart
        lines={lines}
        x={state.x}
        log={state.log}
        height={props.height}
        onZoom={props.onZoom}
        label={`${name} of ${props.runLabel}`}
        xLabel={state.xMetric ?? undefined}
      />
    </div>
  );
}
