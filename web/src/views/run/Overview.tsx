// The run's overview: status, times, script and arguments, target, parent, tags (editable in
// place), properties, description, error with its traceback.
import type { JSX } from "preact";
import { useState } from "preact/hooks";
import type { ApiError } from "../../api/http";
import { type RunDocument, removeTags, setTags } from "../../api/run";
import { Link } from "../../router";
import { formatTime, runDuration } from "./format";

export function Overview(props: { run: RunDocument; onChanged(): void }): JSX.Element {
  const { run } = props;
  const rows: [string, JSX.Element | string][] = [
    ["Status", <span class={`status status-${run.status}`}>{run.status}</span>],
    [
      "Experiment",
      <Link href={`/experiments/${encodeURIComponent(run.experiment_name)}`}>{run.experiment_name}</Link>,
    ],
    ["Run", `${run.id} (number ${run.number})`],
    ["Created", formatTime(run.created)],
    ["Started", formatTime(run.started)],
    ["Ended", formatTime(run.ended)],
    ["Duration", runDuration(run.started, run.ended)],
    ["Script", run.script_name ?? "–"],
    ["Arguments", run.arguments.length ? <code>{run.arguments.join(" ")}</code> : "–"],
    ["Target", run.target ?? "–"],
    ["Type", run.run_type],
    [
      "Parent",
      run.parent_id ? <Link href={`/runs/${encodeURIComponent(run.parent_id)}`}>{run.parent_id}</Link> : "–",
    ],
  ];
  if (run.description) rows.push(["Description", run.description]);
  return (
    <section class="run-overview">
      <dl class="facts">
        {rows.map(([name, value]) => (
          <div key={name} class="fact" data-fact={name}>
            <dt>{name}</dt>
            <dd>{value}</dd>
          </div>
        ))}
      </dl>
      {run.error && <RunErrorBox error={run.error} />}
      <TagEditor run={run} onChanged={props.onChanged} />
      <h3>Properties</h3>
      {Object.keys(run.properties).length === 0 ? (
        <p class="muted">No properties.</p>
      ) : (
        <table class="kv properties">
          <tbody>
            {Object.entries(run.properties).map(([key, value]) => (
              <tr key={key}>
                <th>{key}</th>
                <td>{value}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function RunErrorBox({ error }: { error: NonNullable<RunDocument["error"]> }): JSX.Element {
  const { type, message, traceback, ...rest } = error;
  return (
    <div class="run-error" role="alert">
      <strong>{type ?? "Error"}</strong>:{" "}
      <span class="run-error-message">{message ?? JSON.stringify(rest)}</span>
      {traceback && (
        <details open>
          <summary>Traceback</summary>
          <pre class="traceback">{traceback}</pre>
        </details>
      )}
    </div>
  );
}

function TagEditor(props: { run: RunDocument; onChanged(): void }): JSX.Element {
  const { run } = props;
  const [editing, setEditing] = useState<string | null>(null);
  const [draft, setDraft] = useState({ key: "", value: "" });
  const [error, setError] = useState<string | null>(null);
  const save = (work: Promise<unknown>) =>
    work
      .then(() => {
        setEditing(null);
        setDraft({ key: "", value: "" });
        setError(null);
        props.onChanged();
      })
      .catch((failure: ApiError) => setError(failure.message));
  const add = (event: Event) => {
    event.preventDefault();
    const key = draft.key.trim();
    if (!key) return;
    void save(setTags(run.id, { [key]: draft.value === "" ? null : draft.value }));
  };
  return (
    <section class="tags-editor" aria-label="tags">
      <h3>Tags</h3>
      {error && (
        <p class="error-text" role="alert">
          {error}
        </p>
      )}
      <ul class="tag-list">
        {Object.entries(run.tags).map(([key, value]) => (
          <li key={key} class="tag" data-tag={key}>
            {editing === key ? (
              <form
                onSubmit={(e) => {
                  e.preventDefault();
                  const input = (e.currentTarget as HTMLFormElement).elements.namedItem(
                    "value",
                  ) as HTMLInputElement;
                  void save(setTags(run.id, { [key]: input.value === "" ? null : input.value }));
                }}
              >
                <span class="tag-key">{key}</span>
                <input name="value" aria-label={`value of tag ${key}`} defaultValue={value ?? ""} />
                <button type="submit">Save</button>
                <button type="button" onClick={() => setEditing(null)}>
                  Cancel
                </button>
              </form>
            ) : (
              <>
                <button type="button" class="tag-chip" title="edit" onClick={() => setEditing(key)}>
                  <span class="tag-key">{key}</span>
                  {value !== null && value !== "" && <span class="tag-value">{value}</span>}
                </button>
                <button
                  type="button"
                  class="tag-remove"
                  aria-label={`remove tag ${key}`}
                  onClick={() => void save(removeTags(run.id, [key]))}
                >
                  ×
                </button>
              </>
            )}
          </li>
        ))}
      </ul>
      <form class="tag-add" onSubmit={add}>
        <input
          aria-label="new tag name"
          placeholder="tag"
          value={draft.key}
          onInput={(e) => setDraft({ ...draft, key: e.currentTarget.value })}
        />
        <input
          aria-label="new tag value"
          placeholder="value (optional)"
          value={draft.value}
          onInput={(e) => setDraft({ ...draft, value: e.currentTarget.value })}
        />
        <button type="submit">Add tag</button>
      </form>
    </section>
  );
}
