// One colour per run id, the same in every view: a hash of the id picks a hue.

const PALETTE = [
  "#2f6fde",
  "#e8590c",
  "#2b8a3e",
  "#c2255c",
  "#7048e8",
  "#0c8599",
  "#e67700",
  "#5c940d",
  "#a61e4d",
  "#1971c2",
  "#d6336c",
  "#087f5b",
  "#862e9c",
  "#f08c00",
  "#364fc7",
  "#c92a2a",
];

function hash(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 16777619);
  }
  return h >>> 0;
}

export function runColor(runId: string): string {
  return PALETTE[hash(runId) % PALETTE.length] ?? "#2f6fde";
}

export function runColors(runIds: readonly string[]): Record<string, string> {
  const colors: Record<string, string> = {};
  for (const id of runIds) colors[id] = runColor(id);
  return colors;
}
