// The experiments of the workspace: run counts, counts by status, last activity; archived ones
// on request (?view=archived|all).
import type { JSX } from "preact";
import { useEffect, useState } from "preact/hooks";
import { type ExperimentOverview, listExperimentOverviews, type ViewType } from "../../api/experiments";
import type { ApiError } from "../../api/http";
import { formatAgo, formatTime } from "../../format";
import { Link, setQuery, useLocation } from "../../router";
import { ErrorBox, Loading } from "../states";
import { FirstRun } from "./FirstRun";

const STATUS_ORDER = [
  "Running",
  "Queued",
  "Starting",
  "Preparing",
  "Finalizing",
  "Completed",
  "Failed",
  "Canceled",
];

function viewOf(query: URLSearchParams): ViewType {
  const view = query.get("view");
  return view === "archived" || view === "all" ? view : "active";
}

function StatusCounts({ counts }: { counts: Record<string, number> }): JSX.Element {
  const names = Object.keys(counts).sort((a, b) => rank(a) - rank(b));
  return (
    <span class="status-counts">
      {names.map((name) => (
        <span key={name} class={`status status-${name}`} title={name}>
          {counts[name]} {name.toLowerCase()}
        </span>
      ))}
    </span>
  );
}

function rank(status: string): number {
  const index = STATUS_ORDER.indexOf(status);
  return index < 0 ? STATUS_ORDER.length : index;
}

export function ExperimentsPage(): JSX.Element {
  const { query } = useLocation();
  const view = viewOf(query);
  const [experiments, setExperiments] = useState<ExperimentOverview[] | null>(null);
  const [error, setError] = useState<ApiError | null>(null);

  useEffect(() => {
    const abort = new AbortController();
    setError(null);
    listExperimentOverviews(view, abort.signal)
      .then((got) => setExperiments(got.sort((a, b) => b.last_activity - a.last_activity)))
      .catch((failure: ApiError) => {
        if (!abort.signal.aborted) setError(failure);
      });
    return () => abort.abort();
  }, [view]);

  return (
    <section>
      <div class="toolbar">
        <h1>Experiments</h1>
        <label>
          Show{" "}
          <select
            value={view}
            onChange={(event) => {
              const value = (event.currentTarget as HTMLSelectElement).value;
              setQuery({ view: value === "active" ? null : value });
            }}
          >
            <option value="active">active</option>
            <option value="archived">archived</option>
            <option value="all">all</option>
          </select>
        </label>
      </div>
      {error && <ErrorBox error={error} />}
      {!error && experiments === null && <Loading what="experiments" />}
      {experiments !== null && experiments.length === 0 && view === "active" && <FirstRun />}
      {experiments !== null && experiments.length === 0 && view !== "active" && (
        <p class="empty-box">No {view} experiments.</p>
      )}
      {experiments !== null && experiments.length > 0 && (
        <table class="plain experiments">
          <thead>
            <tr>
              <th>Experiment</th>
              <th class="num">Runs</th>
              <th>Status</th>
              <th>Last activity</th>
              <th>Created</th>
            </tr>
          </thead>
          <tbody>
            {experiments.map((experiment) => (
              <tr key={experiment.id} data-experiment={experiment.name}>
                <td>
                  <Link href={`/experiments/${encodeURIComponent(experiment.name)}`}>{experiment.name}</Link>
                  {experiment.archived && <span class="badge">archived</span>}
                </td>
                <td class="num run-count">{experiment.run_count}</td>
                <td>
                  <StatusCounts counts={experiment.status_counts} />
                </td>
                <td title={formatTime(experiment.last_activity)}>{formatAgo(experiment.last_activity)}</td>
                <td>{formatTime(experiment.created)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
