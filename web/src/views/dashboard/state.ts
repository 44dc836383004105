// The dashboard's view state, all in the query string so that a reload or a shared link shows
// the same view: cols (columns in order), sort ("-created": descending), status (statuses kept),
// tag (k=v or k, several), q (a filter expression), charts (metrics drawn).
import { setQuery } from "../../router";
import { DEFAULT_COLUMNS } from "./columns";

export type DashboardState = {
  columns: string[];
  sort: { key: string; descending: boolean };
  statuses: string[];
  tags: string[];
  expression: string;
  charts: string[];
};

function list(value: string | null): string[] {
  return value ? value.split(",").filter((item) => item !== "") : [];
}

export function dashboardStateOf(query: URLSearchParams): DashboardState {
  const sort = query.get("sort") ?? "-created";
  return {
    columns: query.has("cols") ? list(query.get("cols")) : DEFAULT_COLUMNS,
    sort: { key: sort.replace(/^-/, ""), descending: sort.startsWith("-") },
    statuses: list(query.get("status")),
    tags: query.getAll("tag"),
    expression: query.get("q") ?? "",
    charts: list(query.get("charts")),
  };
}

export function setColumns(columns: string[]): void {
  setQuery({ cols: columns.join(",") });
}

export function setSort(key: string, descending: boolean): void {
  setQuery({ sort: `${descending ? "-" : ""}${key}` });
}

export function setStatuses(statuses: string[]): void {
  setQuery({ status: statuses.join(",") || null });
}

export function setTags(tags: string[]): void {
  const query = new URLSearchParams(window.location.search);
  query.delete("tag");
  for (const tag of tags) query.append("tag", tag);
  const text = query.toString();
  window.history.replaceState(null, "", window.location.pathname + (text ? `?${text}` : ""));
  window.dispatchEvent(new PopStateEvent("popstate"));
}

export function setExpression(expression: string): void {
  setQuery({ q: expression.trim() || null });
}

export function setCharts(charts: string[]): void {
  setQuery({ charts: charts.join(",") || null });
}
