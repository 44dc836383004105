// Every image metric of the run under one step slider: each shows its latest image at or
// before the chosen step.
import type { JSX } from "preact";
import { useEffect, useMemo, useState } from "preact/hooks";
import type { ApiError } from "../../api/http";
import { fileUrl, type MetricDocument, type RunDocument, readMetrics } from "../../api/run";
import { ErrorBox } from "../states";

export function ImagesTab(props: { run: RunDocument; version: number }): JSX.Element {
  const { run } = props;
  const names = Object.keys(run.metrics).filter((n) => run.metrics[n]?.[0] === "image");
  const key = names.join("\n");
  const [metrics, setMetrics] = useState<MetricDocument[] | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [chosen, setChosen] = useState<number | null>(null);
  useEffect(() => {
    if (names.length === 0) return;
    readMetrics(run.id, names).then(setMetrics).catch(setError);
  }, [run.id, key, props.version]);
  const steps = useMemo(
    () => [...new Set((metrics ?? []).flatMap((m) => m.steps))].sort((a, b) => a - b),
    [metrics],
  );
  if (names.length === 0)
    return <p class="muted">This run has logged no images (run.log_image(name, path=...)).</p>;
  if (error) return <ErrorBox error={error} />;
  if (!metrics) return <p class="muted">Loading images…</p>;
  const position = chosen === null ? steps.length - 1 : Math.min(chosen, steps.length - 1);
  const step = steps[position] ?? 0;
  return (
    <section class="images-tab">
      {steps.length > 1 && (
        <label class="step-slider">
          step{" "}
          <input
            type="range"
            aria-label="image step"
            min={0}
            max={steps.length - 1}
            value={position}
            onInput={(e) => setChosen(Number(e.currentTarget.value))}
          />{" "}
          <b class="image-step">{step}</b>
        </label>
      )}
      <div class="image-grid">
        {metrics.map((metric) => {
          let at = -1;
          metric.steps.forEach((s, i) => {
            if (s <= step) at = i;
          });
          const artifact = at >= 0 ? (metric.values[at] as string) : null;
          return (
            <figure key={metric.name} class="image-card" data-metric={metric.name}>
              {artifact ? (
                <img
                  src={fileUrl(run.id, artifact)}
                  alt={`${metric.name} at step ${metric.steps[at]}`}
                  loading="lazy"
                />
              ) : (
                <p class="muted">nothing yet at step {step}</p>
              )}
              <figcaption>
                {metric.name} <span class="muted">step {at >= 0 ? metric.steps[at] : "–"}</span>
              </figcaption>
            </figure>
          );
        })}
      </div>
    </section>
  );
}
