// A row or table metric: a line of one column against another (chosen), and the rows as a grid.
import type { JSX } from "preact";
import { useMemo, useState } from "preact/hooks";
import type { ChartDocument } from "../../api/charts";
import type { MetricDocument } from "../../api/run";
import { Chart } from "../../charts/Chart";
import type { ChartLine } from "../../charts/chartData";
import { formatLogged } from "./format";

const GRID_ROWS = 500;
const STEP = "(step)";

/** A chart document of points (x, y): each point its own bucket. */
export function pointsChart(name: string, xs: number[], ys: (number | null)[]): ChartDocument {
  return {
    run_id: "",
    name,
    count: xs.length,
    first_steps: xs,
    last_steps: xs,
    minimum: ys,
    maximum: ys,
    last: ys,
    last_times: xs,
  };
}

const numberOf = (value: unknown): number | null => (typeof value === "number" ? value : null);

export function TableMetric({ metric }: { metric: MetricDocument }): JSX.Element {
  const rows = metric.values as Record<string, unknown>[];
  const columns = metric.columns ?? [];
  const numeric = columns.filter((c) => rows.some((r) => typeof r[c] === "number"));
  const [x, setX] = useState(numeric.length > 1 ? (numeric[0] as string) : STEP);
  const [y, setY] = useState(numeric.find((c) => c !== x) ?? numeric[0] ?? "");
  const lines = useMemo<ChartLine[]>(() => {
    if (!y) return [];
    const xs: number[] = [];
    const ys: (number | null)[] = [];
    rows.forEach((row, i) => {
      const xv = x === STEP ? (metric.steps[i] as number) : numberOf(row[x]);
      if (xv === null) return;
      xs.push(xv);
      ys.push(numberOf(row[y]));
    });
    return [
      {
        key: `${x}-${y}`,
        label: `${y} against ${x}`,
        color: "#2f6fde",
        chart: pointsChart(metric.name, xs, ys),
      },
    ];
  }, [metric, x, y, rows]);
  return (
    <div class="table-metric">
      {numeric.length > 0 && (
        <div class="chart-controls">
          <label>
            x{" "}
            <select aria-label="x column" value={x} onChange={(e) => setX(e.currentTarget.value)}>
              <option value={STEP}>{STEP}</option>
              {numeric.map((c) => (
                <option key={c}>{c}</option>
              ))}
            </select>
          </label>
          <label>
            y{" "}
            <select aria-label="y column" value={y} onChange={(e) => setY(e.currentTarget.value)}>
              {numeric.map((c) => (
                <option key={c}>{c}</option>
              ))}
            </select>
          </label>
        </div>
      )}
      {lines.length > 0 && (
        <Chart lines={lines} x="step" log={false} height={200} label={`${metric.name}: ${y} against ${x}`} />
      )}
      <div class="grid-scroll">
        <table class="data-grid">
          <thead>
            <tr>
              <th>step</th>
              {columns.map((c) => (
                <th key={c}>{c}</th>
              ))}
            </tr>
          </thead>
          <tbody>
            {rows.slice(0, GRID_ROWS).map((row, i) => (
              <tr key={i}>
                <td class="muted">{metric.steps[i]}</td>
                {columns.map((c) => (
                  <td key={c}>{formatLogged(row[c])}</td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
        {rows.length > GRID_ROWS && (
          <p class="muted">
            First {GRID_ROWS} of {rows.length} rows.
          </p>
        )}
      </div>
    </div>
  );
}
