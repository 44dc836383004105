// The server's description of itself for the studio, and the browser session of a server with auth.
import { getJSON, sendJSON } from "./http";

export type StudioInfo = { version: string; workspace: string; auth: boolean; signed_in: boolean };

export function studioInfo(): Promise<StudioInfo> {
  return getJSON<StudioInfo>("/studio/info");
}

/** Check `token` on the server; it answers with an HttpOnly cookie for this browser session. */
export function login(token: string): Promise<undefined> {
  return sendJSON("POST", "/login", { token });
}

export function logout(): Promise<undefined> {
  return sendJSON("POST", "/logout");
}
