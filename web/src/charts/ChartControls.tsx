// The chart settings bar: x axis, smoothing, log scale, zoom reset (all in the URL).
import type { JSX } from "preact";
import { setChartState, useChartState } from "./chartState";

export function ChartControls(props: { groupColumns?: string[]; xMetrics?: string[] }): JSX.Element {
  const state = useChartState();
  const xValue = state.x === "metric" ? `metric:${state.xMetric}` : state.x;
  return (
    <div class="chart-controls" role="toolbar" aria-label="chart settings">
      <label>
        x axis{" "}
        <select
          aria-label="x axis"
          value={xValue}
          onChange={(e) => {
            const value = e.currentTarget.value;
            const metric = value.startsWith("metric:") ? value.slice("metric:".length) : null;
            setChartState({ x: metric ? "metric" : (value as typeof state.x), xMetric: metric, zoom: null });
          }}
        >
          <option value="step">step</option>
          <option value="time">wall time</option>
          <option value="relative">relative time</option>
          {(props.xMetrics ?? []).map((m) => (
            <option key={m} value={`metric:${m}`}>
              metric {m}
            </option>
          ))}
        </select>
      </label>
      <label>
        smoothing{" "}
        <input
          type="range"
          aria-label="smoothing"
          min={0}
          max={0.99}
          step={0.01}
          value={state.smoothing}
          onChange={(e) => setChartState({ smoothing: Number(e.currentTarget.value) })}
        />{" "}
        <span class="smoothing-value">{state.smoothing.toFixed(2)}</span>
      </label>
      <label>
        <input
          type="checkbox"
          aria-label="log scale"
          checked={state.log}
          onChange={(e) => setChartState({ log: e.currentTarget.checked })}
        />{" "}
        log scale
      </label>
      {props.groupColumns && props.groupColumns.length > 0 && (
        <label>
          group by{" "}
          <select
            aria-label="group by"
            value={state.group}
            onChange={(e) => setChartState({ group: e.currentTarget.value })}
          >
            <option value="">none</option>
            {props.groupColumns.map((c) => (
              <option key={c} value={c}>
                {c}
              </option>
            ))}
          </select>
        </label>
      )}
      {state.zoom && (
        <button type="button" onClick={() => setChartState({ zoom: null })}>
          Reset zoom (steps {state.zoom.first}–{state.zoom.last})
        </button>
      )}
      <span class="muted chart-hint">drag to zoom · double-click to reset</span>
    </div>
  );
}
