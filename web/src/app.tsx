// The app shell: header (workspace, theme, sign-out), breadcrumbs, and the view the path names.
import type { JSX } from "preact";
import { useEffect, useState } from "preact/hooks";
import { ApiError, onAuthRequired } from "./api/http";
import { logout, type StudioInfo, studioInfo } from "./api/session";
import { Link, match, useLocation } from "./router";
import { ThemeToggle } from "./theme";
import { Crumbs } from "./views/Crumbs";
import { DashboardPage } from "./views/dashboard/DashboardPage";
import { ExperimentsPage } from "./views/experiments/ExperimentsPage";
import { LoginForm } from "./views/LoginForm";
import { RunPage } from "./views/run/RunPage";
import { ErrorBox } from "./views/states";

function View({ path }: { path: string }): JSX.Element {
  let params = match("/", path);
  if (params) return <ExperimentsPage />;
  params = match("/experiments/:name", path);
  if (params?.name) return <DashboardPage name={params.name} />;
  params = match("/runs/:runId", path);
  if (params?.runId) return <RunPage runId={params.runId} />;
  return (
    <ErrorBox
      error={new ApiError(404, "not_found", `no page at ${path}`)}
      action={<Link href="/">See the experiments</Link>}
    />
  );
}

export function App(): JSX.Element {
  const location = useLocation();
  const [info, setInfo] = useState<StudioInfo | null>(null);
  const [failure, setFailure] = useState<ApiError | null>(null);
  const [signedIn, setSignedIn] = useState(true);

  useEffect(() => {
    studioInfo()
      .then((got) => {
        setInfo(got);
        setSignedIn(!got.auth || got.signed_in);
      })
      .catch((error: ApiError) => setFailure(error));
    return onAuthRequired(() => setSignedIn(false));
  }, []);

  // The view starts its own requests at once, without waiting for the server's description:
  // a server with auth answers them 401, which shows the sign-in form.
  if (failure?.unreachable) {
    return (
      <main class="app-main">
        <ErrorBox error={failure} />
      </main>
    );
  }
  if (!signedIn) return <LoginForm onSignedIn={() => setSignedIn(true)} />;
  const signOut = () => logout().then(() => setSignedIn(false));
  return (
    <>
      <header class="app-header">
        <Link class="brand" href="/">
          runhistory
        </Link>
        <span class="workspace" title="workspace">
          {info?.workspace ?? ""}
        </span>
        <span class="spacer" />
        <ThemeToggle />
        {info?.auth && (
          <button type="button" onClick={signOut}>
            Sign out
          </button>
        )}
      </header>
      <Crumbs path={location.path} />
      <main class="app-main">
        <View path={location.path} />
      </main>
    </>
  );
}
