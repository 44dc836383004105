// Loading, empty and error states shared by the views.
import type { ComponentChildren, JSX } from "preact";
import type { ApiError } from "../api/http";

function explain(error: ApiError): string {
  if (error.unreachable) return "The server cannot be reached.";
  if (error.status === 404) return "Not found.";
  if (error.status === 403) return "Permission denied.";
  if (error.status === 401) return "Sign-in needed.";
  return "Something went wrong.";
}

export function ErrorBox({ error, action }: { error: ApiError; action?: ComponentChildren }): JSX.Element {
  return (
    <div class="error-box" role="alert">
      <strong>{explain(error)}</strong> <span>{error.message}</span>
      {action && <div style={{ marginTop: "8px" }}>{action}</div>}
    </div>
  );
}

export function Loading({ what }: { what: string }): JSX.Element {
  return <p class="muted">Loading {what}…</p>;
}
