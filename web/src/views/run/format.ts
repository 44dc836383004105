// How the run page writes times, durations and values.
import { formatDuration } from "../../charts/chartData";

export function formatTime(seconds: number | null | undefined): string {
  return seconds ? new Date(seconds * 1000).toLocaleString() : "–";
}

export function runDuration(started: number | null, ended: number | null, now = Date.now() / 1000): string {
  if (!started) return "–";
  return formatDuration((ended ?? now) - started);
}

/** A logged value exactly as the SDK returns it (numbers in full, strings as they are). */
export function formatLogged(value: unknown): string {
  if (value === null || value === undefined) return "–";
  if (typeof value === "number") return Number.isNaN(value) ? "NaN" : String(value);
  if (typeof value === "string") return value;
  return JSON.stringify(value);
}
