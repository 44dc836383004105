import type { JSX } from "preact";

export interface RunsChartProps {
  metric: string;
  runIds: string[];
  colors: Record<string, string>;
  onOpenRun(id: string): void;
}

/** One metric of many runs in one chart. */
export function RunsChart(props: RunsChartProps): JSX.Element {
  return <div class="runs-chart" data-metric={props.metric} />;
}
