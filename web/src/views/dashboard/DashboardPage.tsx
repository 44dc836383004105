// An experiment's dashboard: its runs in a virtualised table (sorted, filtered, columns chosen,
// all in the URL), charts of chosen metrics across the runs shown, selection for compare, and
// live updates from the experiment's event stream.
import type { JSX } from "preact";
import { useCallback, useEffect, useMemo, useRef, useState } from "preact/hooks";
import { type Experiment, getExperimentByName } from "../../api/experiments";
import type { ApiError } from "../../api/http";
import { fetchRunTable, type RunRow } from "../../api/runs-table";
import { ChartControls } from "../../charts/ChartControls";
import { LazyMount } from "../../charts/LazyMount";
import { RunsChart } from "../../charts/RunsChart";
import { runColors } from "../../colors";
import { Link, navigate, useLocation } from "../../router";
import { ErrorBox, Loading } from "../states";
import { ColumnChooser } from "./ColumnChooser";
import { availableColumns, type Column, columnOf, compareValues } from "./columns";
import { Filters } from "./Filters";
import { FilterError, parseFilter } from "./filter";
import { followExperiment } from "./live";
import { RunTable } from "./RunTable";
import {
  dashboardStateOf,
  setCharts,
  setColumns,
  setExpression,
  setSort,
  setStatuses,
  setTags,
} from "./state";

/** Runs drawn in a chart at most: the selected ones, else the first of the table's order. */
const CHART_RUNS = 50;
/** Experiments this large are followed live only while a run is active. */
const ALWAYS_FOLLOW = 2000;
const ACTIVE = new Set([
  "Running",
  "Queued",
  "Starting",
  "Preparing",
  "Finalizing",
  "CancelRequested",
  "NotStarted",
]);

function tagMatches(run: RunRow, filters: string[]): boolean {
  return filters.every((filter) => {
    const equals = filter.indexOf("=");
    if (equals < 0) return filter in run.tags;
    return run.tags[filter.slice(0, equals).trim()] === filter.slice(equals + 1).trim();
  });
}

export function DashboardPage({ name }: { name: string }): JSX.Element {
  const { query } = useLocation();
  const state = dashboardStateOf(query);
  const [experiment, setExperiment] = useState<Experiment | null>(null);
  const [runs, setRuns] = useState<RunRow[] | null>(null);
  const [version, setVersion] = useState(0);
  const [error, setError] = useState<ApiError | null>(null);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const byId = useRef(new Map<string, RunRow>());

  const load = useCallback((experimentId: string, signal?: AbortSignal) => {
    fetchRunTable(experimentId, signal)
      .then((rows) => {
        byId.current = new Map(rows.map((r) => [r.id, r]));
        setRuns(rows);
        setVersion((v) => v + 1);
      })
      .catch((failure: ApiError) => {
        if (!signal?.aborted) setError(failure);
      });
  }, []);

  useEffect(() => {
    const abort = new AbortController();
    setError(null);
    setRuns(null);
    setExperiment(null);
    getExperimentByName(name, abort.signal)
      .then((got) => {
        setExperiment(got);
        load(got.id, abort.signal);
      })
      .catch((failure: ApiError) => {
        if (!abort.signal.aborted) setError(failure);
      });
    return () => abort.abort();
  }, [name, load]);

  const follow = runs !== null && (runs.length <= ALWAYS_FOLLOW || runs.some((r) => ACTIVE.has(r.status)));
  useEffect(() => {
    if (!experiment || !follow) return;
    return followExperiment(
      experiment.id,
      () => byId.current,
      () => setVersion((v) => v + 1),
      () => load(experiment.id),
    );
  }, [experiment, follow, load]);

  const columns = useMemo(
    () => state.columns.map(columnOf).filter((c): c is Column => c !== null),
    [state.columns.join(",")],
  );
  let filterError: string | null = null;
  let keep: ((run: RunRow) => boolean) | null = null;
  try {
    keep = state.expression ? parseFilter(state.expression) : null;
  } catch (failure) {
    if (!(failure instanceof FilterError)) throw failure;
    filterError = failure.message;
  }
  const shown = useMemo(() => {
    if (runs === null) return [];
    const statuses = new Set(state.statuses);
    let rows = runs.filter(
      (run) =>
        (statuses.size === 0 || statuses.has(run.status)) &&
        (state.tags.length === 0 || tagMatches(run, state.tags)) &&
        (keep === null || keep(run)),
    );
    const column = columnOf(state.sort.key);
    if (column) {
      const values = new Map(rows.map((r) => [r, column.value(r)]));
      rows = rows.sort((a, b) => compareValues(values.get(a), values.get(b), state.sort.descending));
    }
    return rows;
  }, [
    runs,
    version,
    state.statuses.join(","),
    state.tags.join(","),
    state.expression,
    state.sort.key,
    state.sort.descending,
  ]);
  const available = useMemo(() => availableColumns(runs ?? []), [runs, version]);

  if (error) {
    return (
      <ErrorBox
        error={error}
        action={error.status === 404 ? <Link href="/">See the experiments</Link> : undefined}
      />
    );
  }
  if (runs === null) return <Loading what={`the runs of ${name}`} />;

  const chartIds = (selected.size > 0 ? shown.filter((r) => selected.has(r.id)) : shown)
    .slice(0, CHART_RUNS)
    .map((r) => r.id);
  const labels: Record<string, string> = {};
  const origins: Record<string, number> = {};
  for (const id of chartIds) {
    const run = byId.current.get(id);
    if (!run) continue;
    labels[id] = run.displayName ?? `Run ${run.number}`;
    origins[id] = run.started ?? run.created;
  }
  const select = (runId: string, on: boolean) => {
    const next = new Set(selected);
    if (on) next.add(runId);
    else next.delete(runId);
    setSelected(next);
  };
  const chosen = [...selected];

  return (
    <section class="dashboard">
      <div class="toolbar">
        <h1>{name}</h1>
        <span class="muted run-counts" data-shown={shown.length} data-total={runs.length}>
          {shown.length === runs.length ? `${runs.length} runs` : `${shown.length} of ${runs.length} runs`}
        </span>
        <span class={`live${follow ? " on" : ""}`} title="Updates arrive from the server's event stream">
          {follow ? "● live" : "not following (no active runs)"}
        </span>
        <ColumnChooser columns={state.columns} available={available} onChange={setColumns} />
        <button
          type="button"
          disabled={chosen.length < 2}
          onClick={() => navigate(`/compare?runs=${chosen.map(encodeURIComponent).join(",")}`)}
        >
          Compare ({chosen.length})
        </button>
      </div>
      <Filters
        statuses={state.statuses}
        tags={state.tags}
        expression={state.expression}
        error={filterError}
        onStatuses={setStatuses}
        onTags={setTags}
        onExpression={setExpression}
      />
      {runs.length === 0 ? (
        <p class="empty-box">
          No runs in this experiment yet. Start one with <code>Experiment(ws, "{name}").start_logging()</code>
          .
        </p>
      ) : (
        <RunTable
          runs={shown}
          columns={columns}
          sort={state.sort}
          onSort={setSort}
          selected={selected}
          onSelect={select}
          onSelectAll={(on) => setSelected(on ? new Set(shown.map((r) => r.id)) : new Set())}
        />
      )}
      <Charts
        metrics={available.metrics}
        charts={state.charts}
        runIds={chartIds}
        labels={labels}
        origins={origins}
      />
    </section>
  );
}

function Charts(props: {
  metrics: string[];
  charts: string[];
  runIds: string[];
  labels: Record<string, string>;
  origins: Record<string, number>;
}): JSX.Element {
  const { charts, runIds } = props;
  const colors = useMemo(() => runColors(runIds), [runIds.join(",")]);
  const addable = props.metrics.filter((m) => !charts.includes(m));
  return (
    <section class="dashboard-charts" aria-label="Charts">
      <div class="toolbar">
        <h2>Charts</h2>
        <label>
          Add a chart{" "}
          <select
            aria-label="Add a chart"
            value=""
            onChange={(event) => {
              const value = (event.currentTarget as HTMLSelectElement).value;
              if (value) setCharts([...charts, value]);
            }}
          >
            <option value="">metric…</option>
            {addable.map((m) => (
              <option key={m} value={m}>
                {m}
              </option>
            ))}
          </select>
        </label>
        <span class="muted">
          {runIds.length} runs drawn (the selected ones, else the first {CHART_RUNS} of the table)
        </span>
      </div>
      {charts.length > 0 && <ChartControls groupColumns={[]} />}
      <div class="chart-grid">
        {charts.map((metric) => (
          <div class="chart-card" key={metric} data-chart={metric}>
            <div class="chart-title">
              <strong>{metric}</strong>
              <button
                type="button"
                aria-label={`Remove chart ${metric}`}
                onClick={() => setCharts(charts.filter((c) => c !== metric))}
              >
                ×
              </button>
            </div>
            <LazyMount height={240}>
              <RunsChart
                metric={metric}
                runIds={runIds}
                colors={colors}
                labels={props.labels}
                origins={props.origins}
                onOpenRun={(id) => navigate(`/runs/${encodeURIComponent(id)}`)}
              />
            </LazyMount>
          </div>
        ))}
      </div>
    </section>
  );
}
