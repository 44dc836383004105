// The empty workspace: the three lines of Python that make a run.
import type { JSX } from "preact";

export const FIRST_RUN = `from runhistory import Experiment, Workspace
run = Experiment(Workspace(), "hello").start_logging()
run.log("loss", 0.25); run.complete()`;

export function FirstRun(): JSX.Element {
  return (
    <div class="empty-box first-run">
      <h2>No runs yet</h2>
      <p>
        Record one from Python (in the folder of this workspace, or with the server's address in
        Workspace(...)):
      </p>
      <pre>{FIRST_RUN}</pre>
      <p class="muted">
        Or run <code>scripts/demo</code> from a clone of runhistory to record a demo sweep.
      </p>
    </div>
  );
}
