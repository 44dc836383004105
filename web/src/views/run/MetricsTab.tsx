// Every metric of the run, drawn as what it is: scalar and list series as line charts (mounted
// only on screen), rows and tables as two-variable lines plus a grid, the JSON kinds as heat map,
// curves and histograms, strings as a list. Names can be searched; long lists come in pages.
import type { JSX } from "preact";
import { useEffect, useMemo, useState } from "preact/hooks";
import type { ApiError } from "../../api/http";
import { type MetricDocument, type MetricSummary, type RunDocument, readMetrics } from "../../api/run";
import { ChartControls } from "../../charts/ChartControls";
import { setChartState, useChartState } from "../../charts/chartState";
import { LazyMount } from "../../charts/LazyMount";
import { MetricChart } from "../../charts/MetricChart";
import { runColor } from "../../colors";
import { formatLogged } from "./format";
import { JsonMetric } from "./JsonMetric";
import { TableMetric } from "./TableMetric";

const PAGE = 24;
const CHARTED = new Set(["scalar", "list"]);

function charted(summary: MetricSummary): boolean {
  // A series of strings has no minimum: it is listed, not drawn.
  return CHARTED.has(summary[0]) && !(summary[4] === null && typeof summary[3] === "string");
}

export function MetricsTab(props: { run: RunDocument; versions: Record<string, number> }): JSX.Element {
  const { run } = props;
  const state = useChartState();
  const [search, setSearch] = useState("");
  const [shown, setShown] = useState(PAGE);
  const names = useMemo(
    () =>
      Object.keys(run.metrics)
        .filter((name) => run.metrics[name]?.[0] !== "image")
        .sort(),
    [run.metrics],
  );
  const matching = names.filter((name) => name.toLowerCase().includes(search.toLowerCase()));
  const label = run.display_name ?? `${run.experiment_name} #${run.number}`;
  if (names.length === 0)
    return <p class="muted">This run has logged no metrics (images are under Images).</p>;
  return (
    <section class="metrics-tab">
      <ChartControls xMetrics={names.filter((n) => charted(run.metrics[n] as MetricSummary))} />
      <div class="metric-search">
        <input
          type="search"
          aria-label="search metrics"
          placeholder={`search ${names.length} metrics`}
          value={search}
          onInput={(e) => {
            setSearch(e.currentTarget.value);
            setShown(PAGE);
          }}
        />{" "}
        <span class="muted">
          {matching.length} of {names.length}
        </span>
      </div>
      <div class="metric-grid">
        {matching.slice(0, shown).map((name) => {
          const summary = run.metrics[name] as MetricSummary;
          return (
            <article key={name} class="metric-card" data-metric={name} data-kind={summary[0]}>
              <header>
                <h3>{name}</h3>
                <MetricFacts summary={summary} />
              </header>
              <LazyMount height={240}>
                {charted(summary) ? (
                  <MetricChart
                    runId={run.id}
                    runLabel={label}
                    name={name}
                    color={runColor(run.id)}
                    state={state}
                    version={props.versions[name] ?? 0}
                    origin={run.started ?? run.created}
                    onZoom={(zoom) => setChartState({ zoom })}
                  />
                ) : (
                  <PointMetric
                    runId={run.id}
                    name={name}
                    kind={summary[0]}
                    version={props.versions[name] ?? 0}
                  />
                )}
              </LazyMount>
            </article>
          );
        })}
      </div>
      {matching.length > shown && (
        <button type="button" onClick={() => setShown(shown + PAGE)}>
          Show {Math.min(PAGE, matching.length - shown)} more of {matching.length - shown}
        </button>
      )}
    </section>
  );
}

function MetricFacts({ summary }: { summary: MetricSummary }): JSX.Element {
  const [kind, count, , last, minimum, maximum] = summary;
  if (!CHARTED.has(kind)) return <span class="muted metric-facts">{`${kind} · ${count} logged`}</span>;
  return (
    <span class="metric-facts">
      last <b class="metric-last">{formatLogged(last)}</b>
      {minimum !== null && (
        <>
          {" "}
          · min <b class="metric-min">{formatLogged(minimum)}</b> · max{" "}
          <b class="metric-max">{formatLogged(maximum)}</b>
        </>
      )}{" "}
      · <span class="metric-count">{count}</span> points
    </span>
  );
}

/** A metric read whole (rows, tables, JSON kinds, strings), again when it changes. */
function PointMetric(props: { runId: string; name: string; kind: string; version: number }): JSX.Element {
  const [metric, setMetric] = useState<MetricDocument | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  useEffect(() => {
    const abort = new AbortController();
    readMetrics(props.runId, [props.name], abort.signal)
      .then((found) => setMetric(found[0] ?? null))
      .catch((failure: ApiError) => {
        if (!abort.signal.aborted) setError(failure);
      });
    return () => abort.abort();
  }, [props.runId, props.name, props.version]);
  if (error) return <p class="chart-error">{error.message}</p>;
  if (!metric) return <p class="muted">Loading…</p>;
  if (metric.kind === "row" || metric.kind === "table") return <TableMetric metric={metric} />;
  if (metric.kind === "scalar" || metric.kind === "list") return <ValueList metric={metric} />;
  return <JsonMetric runId={props.runId} metric={metric} />;
}

function ValueList({ metric }: { metric: MetricDocument }): JSX.Element {
  return (
    <ol class="value-list" start={0}>
      {metric.values.slice(-200).map((value, i) => (
        <li key={i}>
          <span class="muted">step {metric.steps[Math.max(0, metric.values.length - 200) + i]}</span>{" "}
          {formatLogged(value)}
        </li>
      ))}
    </ol>
  );
}
