// The JSON metric kinds drawn as what they are: a confusion matrix as a heat map, an accuracy
// table as ROC and precision-recall curves per class, residuals and predictions as histograms.
import type { JSX } from "preact";
import { useEffect, useMemo, useState } from "preact/hooks";
import type { ApiError } from "../../api/http";
import { type MetricDocument, readJsonFile } from "../../api/run";
import { Chart } from "../../charts/Chart";
import { type ChartLine, formatValue } from "../../charts/chartData";
import { runColor } from "../../colors";
import { pointsChart } from "./TableMetric";

type Document = { schema_type: string; data: Record<string, unknown> };

export function JsonMetric({ runId, metric }: { runId: string; metric: MetricDocument }): JSX.Element {
  const artifacts = metric.values as string[];
  const [index, setIndex] = useState(artifacts.length - 1);
  const [document, setDocument] = useState<Document | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const artifact = artifacts[Math.min(index, artifacts.length - 1)];
  useEffect(() => {
    if (!artifact) return;
    readJsonFile<Document>(runId, artifact)
      .then(setDocument)
      .catch((failure: ApiError) => setError(failure));
  }, [runId, artifact]);
  if (error) return <p class="chart-error">{error.message}</p>;
  if (!document) return <p class="muted">Loading…</p>;
  return (
    <div class="json-metric">
      {artifacts.length > 1 && (
        <label>
          logged{" "}
          <input
            type="range"
            aria-label={`version of ${metric.name}`}
            min={0}
            max={artifacts.length - 1}
            value={index}
            onInput={(e) => setIndex(Number(e.currentTarget.value))}
          />{" "}
          {index + 1} of {artifacts.length}
        </label>
      )}
      {metric.kind === "confusion_matrix" && <HeatMap data={document.data} />}
      {metric.kind === "accuracy_table" && <Curves data={document.data} />}
      {(metric.kind === "residuals" || metric.kind === "predictions") && <Histogram data={document.data} />}
    </div>
  );
}

function HeatMap({ data }: { data: Record<string, unknown> }): JSX.Element {
  const labels = (data.class_labels as unknown[]).map(String);
  const matrix = data.matrix as number[][];
  const most = Math.max(1, ...matrix.flat());
  return (
    <table class="heat-map" aria-label="confusion matrix">
      <thead>
        <tr>
          <th class="muted">true \ predicted</th>
          {labels.map((l) => (
            <th key={l}>{l}</th>
          ))}
        </tr>
      </thead>
      <tbody>
        {matrix.map((row, i) => (
          <tr key={labels[i]}>
            <th>{labels[i]}</th>
            {row.map((count, j) => (
              <td
                key={j}
                style={{ background: `rgba(47, 111, 222, ${(0.08 + (0.8 * count) / most).toFixed(3)})` }}
              >
                {count}
              </td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** ROC (false against true positive rate) and precision-recall, per class, from the
 * probability tables ([TP, FP, TN, FN] per threshold). */
function Curves({ data }: { data: Record<string, unknown> }): JSX.Element {
  const labels = ((data.class_labels as unknown[] | undefined) ?? []).map(String);
  const tables = data.probability_tables as number[][][];
  const [roc, pr] = useMemo(() => {
    const rocLines: ChartLine[] = [];
    const prLines: ChartLine[] = [];
    tables.forEach((table, c) => {
      const label = labels[c] ?? `class ${c}`;
      const color = runColor(`class:${label}`);
      const rates = table.map(([tp = 0, fp = 0, tn = 0, fn = 0]) => ({
        fpr: fp + tn ? fp / (fp + tn) : 0,
        tpr: tp + fn ? tp / (tp + fn) : 0,
        precision: tp + fp ? tp / (tp + fp) : null,
      }));
      rocLines.push({
        key: label,
        label,
        color,
        chart: pointsChart(
          label,
          rates.map((r) => r.fpr),
          rates.map((r) => r.tpr),
        ),
      });
      const withPrecision = rates.filter((r) => r.precision !== null);
      prLines.push({
        key: label,
        label,
        color,
        chart: pointsChart(
          label,
          withPrecision.map((r) => r.tpr),
          withPrecision.map((r) => r.precision),
        ),
      });
    });
    return [rocLines, prLines];
  }, [tables, labels]);
  return (
    <div class="curves">
      <figure>
        <figcaption>ROC: true positive rate against false positive rate</figcaption>
        <Chart lines={roc} x="step" log={false} height={200} label="ROC curve" />
      </figure>
      <figure>
        <figcaption>Precision against recall</figcaption>
        <Chart lines={pr} x="step" log={false} height={200} label="precision-recall curve" />
      </figure>
    </div>
  );
}

function Histogram({ data }: { data: Record<string, unknown> }): JSX.Element {
  const edges = data.bin_edges as number[];
  const counts = data.bin_counts as number[];
  const most = Math.max(1, ...counts);
  const width = 600;
  const height = 180;
  const bar = width / Math.max(1, counts.length);
  return (
    <figure class="histogram">
      <svg viewBox={`0 0 ${width} ${height + 20}`} width="100%" role="img" aria-label="histogram">
        {counts.map((count, i) => {
          const h = (count / most) * height;
          const title = `[${formatValue(edges[i])}, ${formatValue(edges[i + 1])}): ${count}`;
          return (
            <rect
              key={i}
              x={i * bar + 1}
              y={height - h}
              width={Math.max(1, bar - 2)}
              height={h}
              fill="var(--accent)"
            >
              <title>{title}</title>
            </rect>
          );
        })}
        <text x={0} y={height + 16} font-size="12" fill="currentColor">
          {formatValue(edges[0])}
        </text>
        <text x={width} y={height + 16} font-size="12" fill="currentColor" text-anchor="end">
          {formatValue(edges[edges.length - 1])}
        </text>
      </svg>
      <figcaption class="muted">
        {counts.length} bins, {counts.reduce((a, b) => a + b, 0)} values
      </figcaption>
    </figure>
  );
}
