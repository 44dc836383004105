// Experiments for the experiments list and the dashboard.
import { getJSON, sendJSON } from "./http";
import type { components } from "./schema";

export type ExperimentOverview = components["schemas"]["ExperimentOverview"];
export type Experiment = components["schemas"]["ExperimentDocument"];
export type ViewType = "active" | "archived" | "all";

/** Every experiment with its runs counted by status and its last activity, in one request. */
export function listExperimentOverviews(
  viewType: ViewType,
  signal?: AbortSignal,
): Promise<ExperimentOverview[]> {
  return getJSON<ExperimentOverview[]>(`/studio/experiments?view_type=${viewType}`, signal);
}

export function getExperimentByName(name: string, signal?: AbortSignal): Promise<Experiment> {
  return getJSON<Experiment>(`/experiments/by-name/${encodeURIComponent(name)}`, signal);
}

export function setArchived(experimentId: string, archived: boolean): Promise<undefined> {
  return sendJSON("PATCH", `/experiments/${encodeURIComponent(experimentId)}`, { archived });
}
