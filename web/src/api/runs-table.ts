// An experiment's runs as the compact table the server sends ("format": "table"): one request
// for the whole experiment, rows as the store keeps them, metric summaries decoded here from
// their packed form (a JSON header shared by the runs that have the same metrics, then count,
// last step, last, min and max of each metric as little-endian doubles in base64).
import { sendJSON } from "./http";
import type { components } from "./schema";

type RunTableDocument = components["schemas"]["RunTableDocument"];

export type Aggregate = "last" | "min" | "max";

/** The summaries of one run's metrics. */
export class Summaries {
  static readonly EMPTY = new Summaries(null, new Float64Array(0), {});

  constructor(
    readonly header: Header | null,
    readonly numbers: Float64Array,
    readonly others: Record<string, unknown>,
  ) {}

  has(name: string): boolean {
    return this.header?.index.has(name) ?? false;
  }

  /** The last, smallest or largest value of `name`; undefined when the run has no such metric. */
  value(name: string, aggregate: Aggregate): unknown {
    const index = this.header?.index.get(name);
    if (index === undefined || this.header === null) return undefined;
    const base = index * 5;
    if (aggregate === "min") return nanToNull(this.numbers[base + 3]);
    if (aggregate === "max") return nanToNull(this.numbers[base + 4]);
    const type = this.header.types[index];
    if (type === "j") return this.others[String(index)];
    return nanToNull(this.numbers[base + 2]);
  }

  kind(name: string): string | undefined {
    const index = this.header?.index.get(name);
    return index === undefined ? undefined : this.header?.kinds[index];
  }
}

function nanToNull(value: number | undefined): number | null {
  return value === undefined || Number.isNaN(value) ? null : value;
}

export type Header = { names: string[]; kinds: string[]; types: string; index: Map<string, number> };

export type RunRow = {
  id: string;
  number: number;
  status: string;
  runType: string;
  created: number;
  parentId: string | null;
  displayName: string | null;
  target: string | null;
  script: string | null;
  arguments: string[];
  started: number | null;
  ended: number | null;
  heartbeat: number | null;
  tags: Record<string, string | null>;
  metrics: Summaries;
};

const headers = new Map<string, Header>();

function headerOf(text: string): Header {
  let header = headers.get(text);
  if (!header) {
    const parsed = JSON.parse(text) as { n: string[]; k: string[]; t: string };
    header = {
      names: parsed.n,
      kinds: parsed.k,
      types: parsed.t,
      index: new Map(parsed.n.map((n, i) => [n, i])),
    };
    headers.set(text, header);
  }
  return header;
}

function unpack(base64: string): Float64Array {
  const bytes = atob(base64);
  const buffer = new ArrayBuffer(bytes.length);
  const view = new Uint8Array(buffer);
  for (let i = 0; i < bytes.length; i++) view[i] = bytes.charCodeAt(i);
  // Every browser we serve is little-endian, as the packed numbers are.
  return new Float64Array(buffer);
}

/** Decode the summaries text of one row (its header already restored from "^"). */
export function decodeSummaries(text: string | null): Summaries {
  if (!text || text === "{}") return Summaries.EMPTY;
  if (!text.includes("\n")) return legacySummaries(text);
  const [header, packed, others] = text.split("\n");
  return new Summaries(headerOf(header ?? ""), unpack(packed ?? ""), others ? JSON.parse(others) : {});
}

/** Summaries stored by earlier versions: a JSON object {name: [kind, count, step, last, min, max]}. */
function legacySummaries(text: string): Summaries {
  const entries = JSON.parse(text) as Record<
    string,
    [string, number, number | null, unknown, number | null, number | null]
  >;
  return summariesOf(entries);
}

/** Summaries from {name: [kind, count, last_step, last, min, max]} (what live events carry). */
export function summariesOf(
  entries: Record<string, readonly [string, number, number | null, unknown, number | null, number | null]>,
): Summaries {
  const names = Object.keys(entries);
  const numbers = new Float64Array(names.length * 5);
  const others: Record<string, unknown> = {};
  let types = "";
  names.forEach((name, i) => {
    const [, count, step, last, low, high] = entries[name] ?? ["", 0, null, null, null, null];
    const numeric = typeof last === "number";
    types += numeric ? "f" : "j";
    if (!numeric) others[String(i)] = last;
    numbers.set(
      [count, step ?? Number.NaN, numeric ? last : Number.NaN, low ?? Number.NaN, high ?? Number.NaN],
      i * 5,
    );
  });
  const kinds = names.map((n) => entries[n]?.[0] ?? "scalar");
  return new Summaries({ names, kinds, types, index: new Map(names.map((n, i) => [n, i])) }, numbers, others);
}

/** `summaries` with the changed metrics of a live event laid over it. */
export function mergeSummaries(
  summaries: Summaries,
  changed: Record<string, readonly [string, number, number | null, unknown, number | null, number | null]>,
): Summaries {
  const entries: Record<string, [string, number, number | null, unknown, number | null, number | null]> = {};
  for (const name of summaries.header?.names ?? []) {
    const index = summaries.header?.index.get(name) ?? 0;
    const n = summaries.numbers;
    entries[name] = [
      summaries.kind(name) ?? "scalar",
      n[index * 5] ?? 0,
      nanToNull(n[index * 5 + 1]),
      summaries.value(name, "last"),
      nanToNull(n[index * 5 + 3]),
      nanToNull(n[index * 5 + 4]),
    ];
  }
  for (const [name, value] of Object.entries(changed)) entries[name] = [...value];
  return summariesOf(entries);
}

function parseArguments(text: string | null, cache: Map<string, string[]>): string[] {
  if (!text || text === "[]") return [];
  let parsed = cache.get(text);
  if (!parsed) {
    parsed = (JSON.parse(text) as unknown[]).map(String);
    cache.set(text, parsed);
  }
  return parsed;
}

/** The rows of a table document. */
export function decodeRunTable(document: RunTableDocument): RunRow[] {
  const at = (name: string) => document.fields.indexOf(name);
  const f = {
    id: at("id"),
    number: at("number"),
    status: at("status"),
    runType: at("run_type"),
    created: at("created"),
    parent: at("parent_id"),
    display: at("display_name"),
    target: at("target"),
    script: at("script_name"),
    args: at("arguments"),
    started: at("started"),
    ended: at("ended"),
    heartbeat: at("heartbeat"),
    summary: at("metrics_summary"),
  };
  const argumentCache = new Map<string, string[]>();
  const byId = new Map<string, RunRow>();
  let header = "";
  const rows = document.rows.map((row) => {
    let summary = (row[f.summary] as string | null) ?? "";
    if (summary.startsWith("^\n")) summary = header + summary.slice(1);
    else header = summary.split("\n", 1)[0] ?? "";
    const run: RunRow = {
      id: row[f.id] as string,
      number: row[f.number] as number,
      status: row[f.status] as string,
      runType: row[f.runType] as string,
      created: row[f.created] as number,
      parentId: row[f.parent] as string | null,
      displayName: row[f.display] as string | null,
      target: row[f.target] as string | null,
      script: row[f.script] as string | null,
      arguments: parseArguments(row[f.args] as string | null, argumentCache),
      started: row[f.started] as number | null,
      ended: row[f.ended] as number | null,
      heartbeat: row[f.heartbeat] as number | null,
      tags: {},
      metrics: decodeSummaries(summary),
    };
    byId.set(run.id, run);
    return run;
  });
  for (const [runId, key, value] of document.tags) {
    const run = byId.get(runId);
    if (run) run.tags[key] = value;
  }
  return rows;
}

/** Every run of an experiment (children included), newest first, in one request. */
export async function fetchRunTable(experimentId: string, signal?: AbortSignal): Promise<RunRow[]> {
  const document = await sendJSON<RunTableDocument>(
    "POST",
    "/runs/search",
    { experiment_id: experimentId, format: "table" },
    signal,
  );
  return decodeRunTable(document);
}
