// Filters: statuses, tags (k=v), and an expression in the search syntax; all kept in the URL.
import type { JSX } from "preact";
import { useEffect, useState } from "preact/hooks";

export const STATUSES = ["Running", "Queued", "Completed", "Failed", "Canceled"];

export function Filters(props: {
  statuses: string[];
  tags: string[];
  expression: string;
  error: string | null;
  onStatuses(statuses: string[]): void;
  onTags(tags: string[]): void;
  onExpression(expression: string): void;
}): JSX.Element {
  const [draft, setDraft] = useState(props.expression);
  const [tagDraft, setTagDraft] = useState(props.tags.join(", "));
  useEffect(() => setDraft(props.expression), [props.expression]);
  useEffect(() => setTagDraft(props.tags.join(", ")), [props.tags.join(",")]);
  const toggle = (status: string, on: boolean) =>
    props.onStatuses(on ? [...props.statuses, status] : props.statuses.filter((s) => s !== status));
  return (
    <div class="filters">
      <fieldset class="status-filter">
        <legend>Status</legend>
        {STATUSES.map((status) => (
          <label key={status}>
            <input
              type="checkbox"
              checked={props.statuses.includes(status)}
              onChange={(event) => toggle(status, (event.currentTarget as HTMLInputElement).checked)}
            />{" "}
            {status}
          </label>
        ))}
      </fieldset>
      <form
        class="tag-filter"
        onSubmit={(event) => {
          event.preventDefault();
          props.onTags(
            tagDraft
              .split(",")
              .map((t) => t.trim())
              .filter((t) => t !== ""),
          );
        }}
      >
        <label>
          Tags{" "}
          <input
            aria-label="Tag filter"
            placeholder="key=value, key"
            value={tagDraft}
            onInput={(event) => setTagDraft((event.currentTarget as HTMLInputElement).value)}
            onBlur={(event) => (event.currentTarget as HTMLInputElement).form?.requestSubmit()}
          />
        </label>
      </form>
      <form
        class="expression-filter"
        onSubmit={(event) => {
          event.preventDefault();
          props.onExpression(draft);
        }}
      >
        <input
          aria-label="Filter expression"
          class="mono"
          placeholder="metrics.loss < 0.3 and params.lr = 0.01 and tags.optimizer = 'adam'"
          value={draft}
          onInput={(event) => setDraft((event.currentTarget as HTMLInputElement).value)}
        />
        <button type="submit">Filter</button>
        {props.expression && (
          <button type="button" onClick={() => props.onExpression("")}>
            Clear
          </button>
        )}
      </form>
      {props.error && (
        <p class="error-box filter-error" role="alert">
          {props.error}
        </p>
      )}
    </div>
  );
}
