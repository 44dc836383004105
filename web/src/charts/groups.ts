// Runs grouped by a column: per group a line of the mean of its runs' last values at each step,
// a band from the least to the greatest of them, and the count of runs.
import type { ChartDocument } from "../api/charts";

/** A chart document of a group: at each step any run of the group reached, the mean, least and
 * greatest of the runs' values there (each run's value at a step: its latest bucket up to it). */
export function groupChart(runId: string, name: string, charts: readonly ChartDocument[]): ChartDocument {
  const steps = [...new Set(charts.flatMap((c) => c.last_steps))].sort((a, b) => a - b);
  const mean: (number | null)[] = [];
  const low: (number | null)[] = [];
  const high: (number | null)[] = [];
  const times: number[] = [];
  const cursors = charts.map(() => -1);
  for (const step of steps) {
    let sum = 0;
    let count = 0;
    let least = Number.POSITIVE_INFINITY;
    let greatest = Number.NEGATIVE_INFINITY;
    let time = 0;
    charts.forEach((chart, i) => {
      let at = cursors[i] as number;
      while (at + 1 < chart.last_steps.length && (chart.last_steps[at + 1] as number) <= step) at++;
      cursors[i] = at;
      const value = at >= 0 ? chart.last[at] : null;
      if (value === null || value === undefined) return;
      sum += value;
      count++;
      least = Math.min(least, value);
      greatest = Math.max(greatest, value);
      time = Math.max(time, chart.last_times[at] as number);
    });
    mean.push(count ? sum / count : null);
    low.push(count ? least : null);
    high.push(count ? greatest : null);
    times.push(time);
  }
  return {
    run_id: runId,
    name,
    count: charts.reduce((n, c) => n + c.count, 0),
    first_steps: steps,
    last_steps: steps,
    minimum: low,
    maximum: high,
    last: mean,
    last_times: times,
  };
}
