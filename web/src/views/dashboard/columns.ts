// The dashboard's columns: the run's own fields, its arguments (one column per --name), and any
// metric as its last, smallest or largest value. A column's key is what the URL keeps
// ("cols=number,name,status,m:loss:min,a:lr").
import type { Aggregate, RunRow } from "../../api/runs-table";
import { formatDuration, formatTime, formatValue } from "../../format";

export type Column = {
  key: string;
  label: string;
  /** What sorting compares (undefined sorts last). */
  value(run: RunRow): string | number | null | undefined;
  /** What a cell shows. */
  text(run: RunRow): string;
  numeric?: boolean;
  width: number;
};

export const DEFAULT_COLUMNS = ["number", "name", "status", "created", "duration", "tags"];

const TERMINAL = new Set(["Completed", "Failed", "Canceled"]);

export function duration(run: RunRow, now = Date.now() / 1000): number | null {
  if (run.started === null) return null;
  if (run.ended !== null) return run.ended - run.started;
  return TERMINAL.has(run.status) ? null : now - run.started;
}

/** `--name value` and `--name=value` pairs of a run's arguments. */
export function argumentMap(run: RunRow): Record<string, string> {
  const found: Record<string, string> = {};
  const args = run.arguments;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? "";
    if (!arg.startsWith("-")) continue;
    const name = arg.replace(/^-+/, "");
    const equals = name.indexOf("=");
    if (equals > 0) found[name.slice(0, equals)] = name.slice(equals + 1);
    else {
      const next = args[i + 1];
      found[name] = next !== undefined && !next.startsWith("--") ? next : "true";
    }
  }
  return found;
}

function argumentValue(run: RunRow, name: string): string | number | undefined {
  const value = argumentMap(run)[name];
  if (value === undefined) return undefined;
  const number = Number(value);
  return value.trim() !== "" && Number.isFinite(number) ? number : value;
}

const BUILT_IN: Record<string, Omit<Column, "key">> = {
  number: { label: "#", value: (r) => r.number, text: (r) => String(r.number), numeric: true, width: 64 },
  name: {
    label: "Name",
    value: (r) => r.displayName ?? r.id,
    text: (r) => r.displayName ?? r.id,
    width: 200,
  },
  status: { label: "Status", value: (r) => r.status, text: (r) => r.status, width: 120 },
  created: { label: "Created", value: (r) => r.created, text: (r) => formatTime(r.created), width: 160 },
  duration: {
    label: "Duration",
    value: (r) => duration(r),
    text: (r) => formatDuration(duration(r)),
    numeric: true,
    width: 100,
  },
  script: { label: "Script", value: (r) => r.script, text: (r) => r.script ?? "", width: 140 },
  target: { label: "Target", value: (r) => r.target, text: (r) => r.target ?? "", width: 100 },
  tags: {
    label: "Tags",
    value: (r) => tagText(r),
    text: (r) => tagText(r),
    width: 220,
  },
  arguments: {
    label: "Arguments",
    value: (r) => r.arguments.join(" "),
    text: (r) => r.arguments.join(" "),
    width: 220,
  },
  id: { label: "Run id", value: (r) => r.id, text: (r) => r.id, width: 280 },
};

function tagText(run: RunRow): string {
  return Object.entries(run.tags)
    .map(([k, v]) => (v === null ? k : `${k}=${v}`))
    .join(", ");
}

export const AGGREGATES: Aggregate[] = ["last", "min", "max"];

/** The column of `key`, or null for a key this version does not know. */
export function columnOf(key: string): Column | null {
  const builtIn = BUILT_IN[key];
  if (builtIn) return { key, ...builtIn };
  if (key.startsWith("m:")) {
    const colon = key.lastIndexOf(":");
    const aggregate = key.slice(colon + 1) as Aggregate;
    const name = key.slice(2, colon);
    if (!AGGREGATES.includes(aggregate) || !name) return null;
    return {
      key,
      label: aggregate === "last" ? name : `${name} (${aggregate})`,
      value: (r) => {
        const v = r.metrics.value(name, aggregate);
        return typeof v === "number" || typeof v === "string" ? v : v === undefined ? undefined : null;
      },
      text: (r) => formatValue(r.metrics.value(name, aggregate)),
      numeric: true,
      width: 120,
    };
  }
  if (key.startsWith("a:")) {
    const name = key.slice(2);
    return {
      key,
      label: `--${name}`,
      value: (r) => argumentValue(r, name),
      text: (r) => formatValue(argumentMap(r)[name]),
      width: 110,
    };
  }
  if (key.startsWith("t:")) {
    const name = key.slice(2);
    return {
      key,
      label: `tag ${name}`,
      value: (r) => r.tags[name],
      text: (r) => r.tags[name] ?? "",
      width: 120,
    };
  }
  return null;
}

/** Every column the runs offer: built-ins, their arguments, their tags, their metrics. */
export function availableColumns(runs: readonly RunRow[]): {
  builtIn: string[];
  args: string[];
  tags: string[];
  metrics: string[];
} {
  const args = new Set<string>();
  const tags = new Set<string>();
  const metrics = new Set<string>();
  const seenHeaders = new Set<unknown>();
  const seenArguments = new Set<string[]>();
  for (const run of runs) {
    if (!seenArguments.has(run.arguments)) {
      seenArguments.add(run.arguments);
      for (const name of Object.keys(argumentMap(run))) args.add(name);
    }
    for (const key of Object.keys(run.tags)) tags.add(key);
    const header = run.metrics.header;
    if (header && !seenHeaders.has(header)) {
      seenHeaders.add(header);
      for (const name of header.names) metrics.add(name);
    }
  }
  const sorted = (set: Set<string>) => [...set].sort((a, b) => a.localeCompare(b));
  return { builtIn: Object.keys(BUILT_IN), args: sorted(args), tags: sorted(tags), metrics: sorted(metrics) };
}

/** Compare for sorting: numbers before text, missing values last in either direction. */
export function compareValues(
  a: string | number | null | undefined,
  b: string | number | null | undefined,
  descending: boolean,
): number {
  const aMissing = a === null || a === undefined;
  const bMissing = b === null || b === undefined;
  if (aMissing || bMissing) return aMissing === bMissing ? 0 : aMissing ? 1 : -1;
  let order: number;
  if (typeof a === "number" && typeof b === "number") order = a - b;
  else if (typeof a === "number") order = -1;
  else if (typeof b === "number") order = 1;
  else order = a < b ? -1 : a > b ? 1 : 0;
  return descending ? -order : order;
}
