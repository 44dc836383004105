// Sign in to a server started with --auth: the token is checked once and kept by the browser as
// an HttpOnly cookie for this session (never in a URL, never readable by scripts).
import type { JSX } from "preact";
import { useState } from "preact/hooks";
import type { ApiError } from "../api/http";
import { login } from "../api/session";

export function LoginForm({ onSignedIn }: { onSignedIn: () => void }): JSX.Element {
  const [token, setToken] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = (event: Event) => {
    event.preventDefault();
    setBusy(true);
    login(token.trim())
      .then(() => {
        setToken("");
        onSignedIn();
      })
      .catch((failure: ApiError) => setError(failure.message))
      .finally(() => setBusy(false));
  };
  return (
    <form class="login" onSubmit={submit}>
      <h1>Sign in to runhistory</h1>
      <p class="muted">
        This server needs a token. Make one with <code>runhistory token create</code>.
      </p>
      <label for="token">Token</label>
      <input
        id="token"
        type="password"
        autocomplete="current-password"
        value={token}
        onInput={(event) => setToken((event.currentTarget as HTMLInputElement).value)}
        required
      />
      {error && (
        <p class="error-box" role="alert">
          {error}
        </p>
      )}
      <button class="primary" type="submit" disabled={busy || !token.trim()}>
        Sign in
      </button>
    </form>
  );
}
