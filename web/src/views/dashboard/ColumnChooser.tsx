// Choose the table's columns and their order: a panel of checkboxes (run fields, arguments, tags,
// each metric as last/min/max) and the chosen columns with buttons to move them.
import type { JSX } from "preact";
import { useState } from "preact/hooks";
import { AGGREGATES, columnOf } from "./columns";

type Available = { builtIn: string[]; args: string[]; tags: string[]; metrics: string[] };

export function ColumnChooser(props: {
  columns: string[];
  available: Available;
  onChange(columns: string[]): void;
}): JSX.Element {
  const [open, setOpen] = useState(false);
  const { columns, available, onChange } = props;
  const toggle = (key: string, on: boolean) =>
    onChange(on ? [...columns.filter((c) => c !== key), key] : columns.filter((c) => c !== key));
  const move = (index: number, by: number) => {
    const next = [...columns];
    const [moved] = next.splice(index, 1);
    if (moved === undefined) return;
    next.splice(Math.max(0, Math.min(next.length, index + by)), 0, moved);
    onChange(next);
  };
  const box = (key: string, label: string) => (
    <label key={key} class="choice">
      <input
        type="checkbox"
        checked={columns.includes(key)}
        onChange={(event) => toggle(key, (event.currentTarget as HTMLInputElement).checked)}
      />{" "}
      {label}
    </label>
  );
  return (
    <div class="column-chooser">
      <button type="button" aria-expanded={open} onClick={() => setOpen(!open)}>
        Columns ({columns.length})
      </button>
      {open && (
        <div class="popover" role="dialog" aria-label="Choose columns">
          <div class="chosen">
            <h3>Shown, in order</h3>
            <ol>
              {columns.map((key, index) => (
                <li key={key} data-column={key}>
                  <span>{columnOf(key)?.label ?? key}</span>
                  <button
                    type="button"
                    aria-label={`Move ${key} left`}
                    disabled={index === 0}
                    onClick={() => move(index, -1)}
                  >
                    ↑
                  </button>
                  <button
                    type="button"
                    aria-label={`Move ${key} right`}
                    disabled={index === columns.length - 1}
                    onClick={() => move(index, 1)}
                  >
                    ↓
                  </button>
                  <button type="button" aria-label={`Hide ${key}`} onClick={() => toggle(key, false)}>
                    ×
                  </button>
                </li>
              ))}
            </ol>
          </div>
          <div class="available">
            <h3>Run</h3>
            {available.builtIn.map((key) => box(key, columnOf(key)?.label ?? key))}
            {available.metrics.length > 0 && <h3>Metrics</h3>}
            {available.metrics.map((name) => (
              <div key={name} class="metric-choice">
                <span class="metric-name">{name}</span>
                {AGGREGATES.map((aggregate) => box(`m:${name}:${aggregate}`, aggregate))}
              </div>
            ))}
            {available.args.length > 0 && <h3>Arguments</h3>}
            {available.args.map((name) => box(`a:${name}`, `--${name}`))}
            {available.tags.length > 0 && <h3>Tags</h3>}
            {available.tags.map((name) => box(`t:${name}`, name))}
          </div>
          <button type="button" onClick={() => setOpen(false)}>
            Done
          </button>
        </div>
      )}
    </div>
  );
}
