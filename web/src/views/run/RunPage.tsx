// The page of one run: overview, metrics, images, child runs, files and logs, live from the
// run's event stream (new points refetch only the metric that changed; new log lines append;
// a status change updates the page), and cancel. The tab and chart settings are in the URL.
import type { JSX } from "preact";
import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import type { ApiError } from "../../api/http";
import { cancelRun, followRun, getRun, type MetricSummary, type RunDocument, TERMINAL } from "../../api/run";
import { Link, setQuery, useLocation } from "../../router";
import { ErrorBox, Loading } from "../states";
import { ChildrenTab } from "./ChildrenTab";
import { FilesTab } from "./FilesTab";
import { ImagesTab } from "./ImagesTab";
import { LogsTab } from "./LogsTab";
import { MetricsTab } from "./MetricsTab";
import { Overview } from "./Overview";
import "./run.css";

const TABS = ["overview", "metrics", "images", "children", "files", "logs"] as const;
type Tab = (typeof TABS)[number];
/** Log text kept per stream; older text is dropped (the file download has all of it). */
const LOG_LIMIT = 2_000_000;

export function RunPage(props: { runId: string }): JSX.Element {
  const { runId } = props;
  const wanted = useLocation().query.get("tab") as Tab | null;
  const tab: Tab = wanted && TABS.includes(wanted) ? wanted : "overview";
  const [run, setRun] = useState<RunDocument | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [versions, setVersions] = useState<Record<string, number>>({});
  const [generation, setGeneration] = useState(0);
  const [logs, setLogs] = useState<Record<string, string>>({});
  const [cancelError, setCancelError] = useState<ApiError | null>(null);

  const metricsSeen = useRef<Record<string, MetricSummary>>({});
  const statusSeen = useRef<string | null>(null);
  const reload = useCallback(() => {
    getRun(runId)
      .then((found) => {
        metricsSeen.current = { ...found.metrics, ...metricsSeen.current };
        statusSeen.current ??= found.status;
        setRun(found);
        setError(null);
      })
      .catch(setError);
  }, [runId]);

  useEffect(() => {
    setRun(null);
    setLogs({});
    setVersions({});
    metricsSeen.current = {};
    statusSeen.current = null;
    reload();
    return followRun(runId, {
      status: (status) => {
        // The stream opens with the current status: only a different one is news.
        if (status === statusSeen.current) return;
        statusSeen.current = status;
        setRun((current) => (current ? { ...current, status } : current));
        setGeneration((g) => g + 1);
        reload();
      },
      metrics: (changed: Record<string, MetricSummary>) => {
        // The stream's first event holds every metric: only those unlike the page's are new.
        const known = metricsSeen.current;
        const fresh = Object.keys(changed).filter(
          (name) => JSON.stringify(known[name]) !== JSON.stringify(changed[name]),
        );
        metricsSeen.current = { ...known, ...changed };
        if (fresh.length === 0) return;
        setRun((current) =>
          current ? { ...current, metrics: { ...current.metrics, ...changed } } : current,
        );
        setVersions((current) => {
          const next = { ...current };
          for (const name of fresh) next[name] = (next[name] ?? 0) + 1;
          return next;
        });
      },
      log: (stream, text) =>
        setLogs((current) => {
          const joined = (current[stream] ?? "") + text;
          return { ...current, [stream]: joined.length > LOG_LIMIT ? joined.slice(-LOG_LIMIT) : joined };
        }),
      end: () => {
        setGeneration((g) => g + 1);
        reload();
      },
    });
  }, [runId, reload]);

  if (error) return <ErrorBox error={error} action={<Link href="/">See the experiments</Link>} />;
  if (!run) return <Loading what="the run" />;
  const active = !TERMINAL.has(run.status);
  const imageVersion = Object.entries(versions)
    .filter(([name]) => run.metrics[name]?.[0] === "image")
    .reduce((sum, [, v]) => sum + v, 0);
  const cancel = () => {
    setCancelError(null);
    cancelRun(run).then(reload).catch(setCancelError);
  };
  return (
    <div class="run-page" data-run={run.id} data-status={run.status}>
      <nav class="crumbs" aria-label="breadcrumbs">
        <Link href="/">Experiments</Link> /{" "}
        <Link href={`/experiments/${encodeURIComponent(run.experiment_name)}`}>{run.experiment_name}</Link>
        {run.parent_id && (
          <>
            {" "}
            / <Link href={`/runs/${encodeURIComponent(run.parent_id)}`}>parent</Link>
          </>
        )}
      </nav>
      <header class="run-header">
        <h1>
          {run.display_name ?? run.id} <span class="muted">#{run.number}</span>
        </h1>
        <span class={`status status-${run.status}`} data-testid="run-status">
          {run.status}
        </span>
        {active && run.status !== "CancelRequested" && (
          <button type="button" class="danger" onClick={cancel}>
            Cancel run
          </button>
        )}
        {cancelError && <ErrorBox error={cancelError} />}
      </header>
      <div class="tabs" role="tablist">
        {TABS.map((name) => (
          <button
            key={name}
            type="button"
            role="tab"
            aria-selected={name === tab}
            class={name === tab ? "tab selected" : "tab"}
            onClick={() => setQuery({ tab: name === "overview" ? null : name })}
          >
            {name}
          </button>
        ))}
      </div>
      <div class="tab-body" role="tabpanel">
        {tab === "overview" && <Overview run={run} onChanged={reload} />}
        {tab === "metrics" && <MetricsTab run={run} versions={versions} />}
        {tab === "images" && <ImagesTab run={run} version={imageVersion} />}
        {tab === "children" && <ChildrenTab run={run} version={generation} />}
        {tab === "files" && <FilesTab run={run} version={generation} />}
        {tab === "logs" && <LogsTab logs={logs} running={active} />}
      </div>
    </div>
  );
}
