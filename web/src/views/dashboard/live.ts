// Live updates of the dashboard from the experiment's event stream: a status or metrics event
// of a run in the table changes that row in place; a run the table does not have yet (just
// created) makes the table fetch the listing again, once for a burst of new runs.
import { events } from "../../api/http";
import { mergeSummaries, type RunRow } from "../../api/runs-table";

type Summary = readonly [string, number, number | null, unknown, number | null, number | null];
type StatusEvent = { run_id: string; status: string };
type MetricsEvent = { run_id: string; metrics: Record<string, Summary> };

const TERMINAL = new Set(["Completed", "Failed", "Canceled"]);

/** Follow the experiment; `update` is called with the rows changed in place; `refetch` when new
 * runs appeared. Returns a function that stops following. */
export function followExperiment(
  experimentId: string,
  rowsById: () => Map<string, RunRow>,
  update: () => void,
  refetch: () => void,
): () => void {
  let pending: ReturnType<typeof setTimeout> | undefined;
  let frame = 0;
  const changed = () => {
    if (frame) return;
    frame = requestAnimationFrame(() => {
      frame = 0;
      update();
    });
  };
  const unknown = () => {
    if (pending) return;
    pending = setTimeout(() => {
      pending = undefined;
      refetch();
    }, 300);
  };
  const close = events(`/experiments/${encodeURIComponent(experimentId)}/events?seconds=600`, {
    status: (data) => {
      const { run_id, status } = data as StatusEvent;
      const row = rowsById().get(run_id);
      if (!row) return unknown();
      if (row.status === status) return;
      row.status = status;
      const now = Date.now() / 1000;
      if (row.started === null && status === "Running") row.started = now;
      if (row.ended === null && TERMINAL.has(status)) row.ended = now;
      changed();
    },
    metrics: (data) => {
      const { run_id, metrics } = data as MetricsEvent;
      const row = rowsById().get(run_id);
      if (!row) return unknown();
      row.metrics = mergeSummaries(row.metrics, metrics);
      changed();
    },
  });
  return () => {
    clearTimeout(pending);
    cancelAnimationFrame(frame);
    close();
  };
}
