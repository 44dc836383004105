import type { JSX } from "preact";

export function DashboardPage({ name }: { name: string }): JSX.Element {
  return <h1>{name}</h1>;
}
