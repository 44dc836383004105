// The filter expression of the dashboard, in MLflow's search syntax (the one grammar of runhistory):
//   metrics.loss < 0.3 and params.lr = 0.1 and tags.optimizer = 'adam' and attributes.status != 'Failed'
// `params.X` (or `args.X`) is the run's `--X` argument; `metrics.X` its last value (`metrics.X.min`,
// `metrics.X.max` the others); `attributes.` names a run field (status, name, number, duration,
// target, script). Operators: = != < <= > >= and LIKE / ILIKE with % wildcards.
import type { Aggregate, RunRow } from "../../api/runs-table";
import { argumentMap, duration } from "./columns";

type Operator = "=" | "!=" | "<" | "<=" | ">" | ">=" | "like" | "ilike";
type Clause = { get: (run: RunRow) => unknown; operator: Operator; value: string | number };

export class FilterError extends Error {}

const CLAUSE =
  /^\s*([A-Za-z_]+)\.(`[^`]+`|"[^"]+"|[\w./-]+?)\s*(!=|<=|>=|==|=|<|>|\bnot\s+like\b|\bilike\b|\blike\b)\s*('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"|[^\s]+)\s*$/i;

function splitAnd(text: string): string[] {
  const parts: string[] = [];
  let quote = "";
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote) {
      if (c === quote) quote = "";
    } else if (c === "'" || c === '"' || c === "`") quote = c;
    else if (/\s/.test(c ?? "") && /^\s+and\s+/i.test(text.slice(i))) {
      parts.push(text.slice(start, i));
      const skip = /^\s+and\s+/i.exec(text.slice(i))?.[0].length ?? 0;
      start = i + skip;
      i = start - 1;
    }
  }
  parts.push(text.slice(start));
  return parts.filter((p) => p.trim() !== "");
}

function unquote(text: string): string {
  const first = text[0];
  if ((first === "'" || first === '"' || first === "`") && text.endsWith(first)) return text.slice(1, -1);
  return text;
}

function getter(entity: string, rawName: string): (run: RunRow) => unknown {
  const name = unquote(rawName);
  switch (entity.toLowerCase()) {
    case "metrics":
    case "metric": {
      let aggregate: Aggregate = "last";
      let metric = name;
      const match = /^(.*)\.(min|max|last)$/.exec(name);
      if (match?.[1] && match[2]) {
        metric = match[1];
        aggregate = match[2] as Aggregate;
      }
      return (run) => {
        const direct = run.metrics.value(name, "last");
        return direct !== undefined ? direct : run.metrics.value(metric, aggregate);
      };
    }
    case "params":
    case "param":
    case "args":
    case "arguments":
      return (run) => argumentMap(run)[name];
    case "tags":
    case "tag":
      return (run) => run.tags[name];
    case "attributes":
    case "attribute":
    case "run":
      return attribute(name);
    default:
      throw new FilterError(`'${entity}.${name}': start with metrics., params., tags. or attributes.`);
  }
}

function attribute(name: string): (run: RunRow) => unknown {
  switch (name.toLowerCase()) {
    case "status":
      return (run) => run.status;
    case "name":
    case "run_name":
    case "display_name":
      return (run) => run.displayName;
    case "number":
      return (run) => run.number;
    case "duration":
      return (run) => duration(run);
    case "target":
      return (run) => run.target;
    case "script":
    case "script_name":
      return (run) => run.script;
    case "id":
    case "run_id":
      return (run) => run.id;
    case "created":
    case "start_time":
      return (run) => run.created;
    default:
      throw new FilterError(
        `'attributes.${name}' is not a run field: status, name, number, duration, target, script, id`,
      );
  }
}

/** The runs `text` keeps; a FilterError names the clause it cannot read. */
export function parseFilter(text: string): (run: RunRow) => boolean {
  const clauses: Clause[] = splitAnd(text.trim()).map((part) => {
    const match = CLAUSE.exec(part);
    if (!match) {
      throw new FilterError(
        `cannot read '${part.trim()}': write e.g. metrics.loss < 0.3 or tags.team = 'vision'`,
      );
    }
    const [, entity = "", name = "", op = "", raw = ""] = match;
    const operator = (op === "==" ? "=" : op.toLowerCase().replace(/\s+/g, " ")) as Operator | "not like";
    const quoted = /^['"]/.test(raw);
    const number = Number(raw);
    const value = !quoted && Number.isFinite(number) ? number : unquote(raw);
    if (operator === "not like")
      return { get: getter(entity, name), operator: "like", value, negate: true } as Clause;
    return { get: getter(entity, name), operator, value };
  });
  return (run) => clauses.every((clause) => holds(clause, run));
}

function holds(clause: Clause & { negate?: boolean }, run: RunRow): boolean {
  const result = compare(clause.get(run), clause.operator, clause.value);
  return clause.negate ? !result : result;
}

function compare(have: unknown, operator: Operator, want: string | number): boolean {
  if (have === undefined || have === null) return operator === "!=";
  if (operator === "like" || operator === "ilike") {
    const pattern = String(want)
      .replace(/[.*+?^${}()|[\]\\]/g, "\\$&")
      .replace(/%/g, ".*")
      .replace(/_/g, ".");
    return new RegExp(`^${pattern}$`, operator === "ilike" ? "i" : "").test(String(have));
  }
  let a: string | number = typeof have === "number" ? have : String(have);
  let b: string | number = want;
  if (typeof a === "string" && typeof b === "number") {
    const n = Number(a);
    if (a.trim() !== "" && Number.isFinite(n)) a = n;
    else b = String(b);
  }
  if (typeof a === "number" && typeof b === "string") {
    const n = Number(b);
    if (Number.isFinite(n)) b = n;
    else a = String(a);
  }
  switch (operator) {
    case "=":
      return a === b;
    case "!=":
      return a !== b;
    case "<":
      return a < b;
    case "<=":
      return a <= b;
    case ">":
      return a > b;
    case ">=":
      return a >= b;
  }
}
