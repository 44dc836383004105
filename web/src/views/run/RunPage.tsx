import type { JSX } from "preact";

/** The page of one run. */
export function RunPage(props: { runId: string }): JSX.Element {
  return <main class="run-page"><h1>Run {props.runId}</h1></main>;
}
