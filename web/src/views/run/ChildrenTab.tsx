// The run's child runs with their status and the last value of each scalar metric.
import type { JSX } from "preact";
import { useEffect, useState } from "preact/hooks";
import type { ApiError } from "../../api/http";
import { childRuns, type RunDocument } from "../../api/run";
import { ChartControls } from "../../charts/ChartControls";
import { useChartState } from "../../charts/chartState";
import { RunsChart } from "../../charts/RunsChart";
import { runColors } from "../../colors";
import { Link, navigate, setQuery, useLocation } from "../../router";
import { ErrorBox } from "../states";
import { formatLogged, runDuration } from "./format";

export function ChildrenTab(props: { run: RunDocument; version: number }): JSX.Element {
  const [children, setChildren] = useState<RunDocument[] | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const wanted = useLocation().query.get("chart");
  const { group } = useChartState();
  useEffect(() => {
    childRuns(props.run.id).then(setChildren).catch(setError);
  }, [props.run.id, props.version]);
  if (error) return <ErrorBox error={error} />;
  if (!children) return <p class="muted">Loading child runs…</p>;
  if (children.length === 0) return <p class="muted">No child runs (run.child_run() makes one).</p>;
  const metrics = [
    ...new Set(
      children.flatMap((c) =>
        Object.entries(c.metrics)
          .filter(([, s]) => s[0] === "scalar" || s[0] === "list")
          .map(([n]) => n),
      ),
    ),
  ].sort();
  const charted = wanted && metrics.includes(wanted) ? wanted : metrics[0];
  const ids = children.map((c) => c.id);
  const columns = groupColumns(children);
  const groups = group && columns.includes(group) ? groupsBy(children, group) : undefined;
  return (
    <section class="children-tab">
      {charted && (
        <div class="children-chart">
          <label>
            chart of{" "}
            <select
              aria-label="chart of"
              value={charted}
              onChange={(e) => setQuery({ chart: e.currentTarget.value })}
            >
              {metrics.map((m) => (
                <option key={m}>{m}</option>
              ))}
            </select>
          </label>
          <ChartControls groupColumns={columns} />
          <RunsChart
            metric={charted}
            runIds={ids}
            colors={runColors(ids)}
            labels={Object.fromEntries(children.map((c) => [c.id, c.display_name ?? c.id]))}
            origins={Object.fromEntries(children.map((c) => [c.id, c.started ?? c.created]))}
            groups={groups}
            onOpenRun={(id) => navigate(`/runs/${encodeURIComponent(id)}`)}
            height={280}
          />
        </div>
      )}
      <div class="grid-scroll">
        <table class="data-grid children">
          <thead>
            <tr>
              <th>run</th>
              <th>status</th>
              <th>duration</th>
              {metrics.map((m) => (
                <th key={m}>{m}</th>
              ))}
            </tr>
          </thead>
          <tbody>
            {children.map((child) => (
              <tr key={child.id} data-run={child.id}>
                <td>
                  <Link href={`/runs/${encodeURIComponent(child.id)}`}>{child.display_name ?? child.id}</Link>
                </td>
                <td>
                  <span class={`status status-${child.status}`}>{child.status}</span>
                </td>
                <td>{runDuration(child.started, child.ended)}</td>
                {metrics.map((m) => (
                  <td key={m} data-metric={m}>
                    {child.metrics[m] ? formatLogged(child.metrics[m]?.[3]) : ""}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

/** `--name value` pairs of a run's arguments. */
function argumentsOf(run: RunDocument): Record<string, string> {
  const found: Record<string, string> = {};
  run.arguments.forEach((word, i) => {
    const next = run.arguments[i + 1];
    if (word.startsWith("--") && next !== undefined && !next.startsWith("--")) found[word.slice(2)] = next;
  });
  return found;
}

/** What runs can be grouped by: their tags ("tags.KEY") and arguments ("args.NAME"). */
function groupColumns(runs: RunDocument[]): string[] {
  const tags = new Set(runs.flatMap((r) => Object.keys(r.tags)));
  const args = new Set(runs.flatMap((r) => Object.keys(argumentsOf(r))));
  return [...[...tags].sort().map((t) => `tags.${t}`), ...[...args].sort().map((a) => `args.${a}`)];
}

function groupsBy(runs: RunDocument[], column: string): Record<string, string> {
  const [source, ...rest] = column.split(".");
  const key = rest.join(".");
  return Object.fromEntries(
    runs.map((r) => {
      const value = source === "tags" ? r.tags[key] : argumentsOf(r)[key];
      return [r.id, value === undefined || value === null ? "(none)" : `${key}=${value}`];
    }),
  );
}
