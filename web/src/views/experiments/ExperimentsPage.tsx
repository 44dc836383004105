import type { JSX } from "preact";

export function ExperimentsPage(): JSX.Element {
  return <h1>Experiments</h1>;
}
