// Breadcrumbs: Experiments › experiment › run, from the path (a run page asks for its run's
// experiment once).
import type { JSX } from "preact";
import { useEffect, useState } from "preact/hooks";
import { getJSON } from "../api/http";
import type { components } from "../api/schema";
import { Link, match } from "../router";

type RunDocument = components["schemas"]["RunDocument"];

function RunCrumbs({ runId }: { runId: string }): JSX.Element {
  const [run, setRun] = useState<RunDocument | null>(null);
  useEffect(() => {
    const abort = new AbortController();
    getJSON<RunDocument>(`/runs/${encodeURIComponent(runId)}`, abort.signal)
      .then(setRun)
      .catch(() => setRun(null));
    return () => abort.abort();
  }, [runId]);
  return (
    <>
      {run && (
        <>
          <span class="sep">›</span>
          <Link href={`/experiments/${encodeURIComponent(run.experiment_name)}`}>{run.experiment_name}</Link>
        </>
      )}
      <span class="sep">›</span>
      <span aria-current="page">{run ? run.display_name || `Run ${run.number}` : runId}</span>
    </>
  );
}

export function Crumbs({ path }: { path: string }): JSX.Element | null {
  // The run page draws its own (with the parent run); the experiments list needs none.
  if (match("/", path) || match("/runs/:runId", path)) return null;
  const experiment = match("/experiments/:name", path);
  const run = match("/runs/:runId", path);
  return (
    <nav class="crumbs" aria-label="Breadcrumbs">
      <Link href="/">Experiments</Link>
      {experiment?.name && (
        <>
          <span class="sep">›</span>
          <span aria-current="page">{experiment.name}</span>
        </>
      )}
      {run?.runId && <RunCrumbs runId={run.runId} />}
    </nav>
  );
}
