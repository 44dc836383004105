// The one chart over uPlot: lines of chart buckets (band + last values, or smoothed values with
// the raw line faint), hover with every line's value, drag to zoom, click on a line to open its run.
import type { JSX } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import "./charts.css";
import {
  type ChartLine,
  formatValue,
  formatX,
  plotData,
  type SeriesRole,
  stepRange,
  type XMode,
} from "./chartData";

export type StepRange = { first: number; last: number };

export type ChartProps = {
  lines: readonly ChartLine[];
  x: XMode;
  log: boolean;
  height?: number;
  /** A drag asks for this step range; null: the whole series (double click). */
  onZoom?: (range: StepRange | null) => void;
  onOpenRun?: (runId: string) => void;
  /** Described for screen readers and tests. */
  label: string;
  /** The name of the x axis with x "metric". */
  xLabel?: string;
};

/** Changes when the page's colours do (the user's theme, or the system's): charts are drawn
 * again with the new axis colours. */
function useTheme(): string {
  const read = () =>
    `${document.documentElement.dataset.theme ?? "auto"}:${matchMedia("(prefers-color-scheme: dark)").matches}`;
  const [theme, setTheme] = useState(read);
  useEffect(() => {
    const update = () => setTheme(read());
    const observer = new MutationObserver(update);
    observer.observe(document.documentElement, { attributes: true, attributeFilter: ["data-theme"] });
    const media = matchMedia("(prefers-color-scheme: dark)");
    media.addEventListener("change", update);
    return () => {
      observer.disconnect();
      media.removeEventListener("change", update);
    };
  }, []);
  return theme;
}

function cssVar(name: string, fallback: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || fallback;
}

function seriesOptions(lines: readonly ChartLine[], roles: SeriesRole[]): uPlot.Series[] {
  const faint = roles.some((r) => r.role === "raw");
  return [
    {},
    ...roles.map((role): uPlot.Series => {
      const line = lines[role.line] as ChartLine;
      const common = { label: line.label, spanGaps: true, points: { show: false } };
      if (role.role === "min" || role.role === "max") return { ...common, stroke: "transparent", width: 0 };
      if (role.role === "raw") return { ...common, stroke: `${line.color}55`, width: 1 };
      return { ...common, stroke: line.color, width: faint ? 2 : 1.5 };
    }),
  ];
}

function bands(roles: SeriesRole[], lines: readonly ChartLine[]): uPlot.Band[] {
  const found: uPlot.Band[] = [];
  roles.forEach((role, i) => {
    if (role.role !== "min") return;
    const color = (lines[role.line] as ChartLine).color;
    found.push({ series: [i + 2, i + 1], fill: `${color}2e` });
  });
  return found;
}

/** The value of series `s` at row `idx`, or the nearest one to its left (rows of other lines). */
function valueNear(data: uPlot.AlignedData, s: number, idx: number): number | null {
  const column = data[s] as (number | null | undefined)[];
  for (let i = idx; i >= 0 && i > idx - 256; i--) {
    const value = column[i];
    if (value !== null && value !== undefined) return value;
  }
  return null;
}

function tooltipHtml(
  u: uPlot,
  lines: readonly ChartLine[],
  roles: SeriesRole[],
  x: XMode,
  focused: number | null,
  xLabel?: string,
): string {
  const idx = u.cursor.idx;
  if (idx === null || idx === undefined) return "";
  const rows: string[] = [`<div class="chart-tip-x">${formatX(u.data[0][idx] as number, x, xLabel)}</div>`];
  const perLine = new Map<number, Partial<Record<SeriesRole["role"], number | null>>>();
  roles.forEach((role, i) => {
    const entry = perLine.get(role.line) ?? {};
    entry[role.role] = valueNear(u.data, i + 1, idx);
    perLine.set(role.line, entry);
  });
  const escapeHtml = (text: string) => text.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
  for (const [index, values] of perLine) {
    const line = lines[index] as ChartLine;
    if (values.main === null && values.raw == null) continue;
    const raw = values.raw !== undefined ? ` <span class="muted">raw ${formatValue(values.raw)}</span>` : "";
    const range =
      values.min !== values.max && values.min != null
        ? ` <span class="muted">[${formatValue(values.min)}, ${formatValue(values.max)}]</span>`
        : "";
    const count = line.count ? ` <span class="muted">(${line.count} runs)</span>` : "";
    rows.push(
      `<div class="chart-tip-row${index === focused ? " focused" : ""}"><i style="background:${line.color}"></i>` +
        `<span class="chart-tip-name">${escapeHtml(line.label)}</span>${count} <b>${formatValue(values.main)}</b>${raw}${range}</div>`,
    );
  }
  return rows.join("");
}

export function Chart(props: ChartProps): JSX.Element {
  const host = useRef<HTMLDivElement>(null);
  const tip = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const shape = useRef("");
  const theme = useTheme();
  const latest = useRef(props);
  latest.current = props;
  const state = useRef<{ roles: SeriesRole[]; focused: number | null; dragged: boolean }>({
    roles: [],
    focused: null,
    dragged: false,
  });

  useEffect(() => {
    const element = host.current;
    if (!element) return;
    const { lines, x, log } = props;
    const { data, roles } = plotData(lines, x, log);
    state.current.roles = roles;
    const key = `${theme}|${x}|${log}|${props.height}|${roles.map((r) => `${lines[r.line]?.key}:${r.role}`).join(",")}`;
    // When the drawing reached the screen (the page's clock), for benchmarks and tests.
    const painted = () =>
      requestAnimationFrame(() => {
        element.dataset.drawn = String(performance.now());
      });
    if (plot.current && shape.current === key) {
      plot.current.setData(data);
      painted();
      return;
    }
    plot.current?.destroy();
    shape.current = key;
    const grid = { stroke: cssVar("--border", "#dcdfe4"), width: 1 };
    const axis = { stroke: cssVar("--fg-soft", "#5c6370"), grid, ticks: grid };
    const options: uPlot.Options = {
      width: Math.max(200, element.clientWidth),
      height: props.height ?? 220,
      legend: { show: false },
      scales: { x: { time: x === "time" }, y: log ? { distr: 3 } : {} },
      axes: [
        { ...axis, values: x === "relative" ? (_u, ticks) => ticks.map((t) => `${t}s`) : undefined },
        { ...axis, size: 60 },
      ],
      series: seriesOptions(lines, roles),
      bands: bands(roles, lines),
      cursor: {
        drag: { x: true, y: false, setScale: false },
        focus: { prox: 24 },
        points: { show: false },
      },
      focus: { alpha: 0.35 },
      hooks: {
        setCursor: [
          (u) => {
            const box = tip.current;
            if (!box) return;
            const html = tooltipHtml(
              u,
              latest.current.lines,
              state.current.roles,
              latest.current.x,
              state.current.focused,
              latest.current.xLabel,
            );
            const left = u.cursor.left ?? -1;
            if (!html || left < 0) {
              box.style.display = "none";
              return;
            }
            box.innerHTML = html;
            box.style.display = "block";
            const flip = left > u.over.clientWidth / 2;
            box.style.left = flip ? "" : `${left + 70}px`;
            box.style.right = flip ? `${u.over.clientWidth - left + 10}px` : "";
          },
        ],
        setSeries: [
          (_u, index) => {
            state.current.focused = index === null ? null : (state.current.roles[index - 1]?.line ?? null);
          },
        ],
        setSelect: [
          (u) => {
            if (u.select.width < 4) return;
            const low = u.posToVal(u.select.left, "x");
            const high = u.posToVal(u.select.left + u.select.width, "x");
            const current = latest.current;
            const range = stepRange(current.lines, current.x, low, high);
            state.current.dragged = true;
            u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
            if (range) current.onZoom?.(range);
          },
        ],
      },
    };
    const made = new uPlot(options, data, element);
    made.over.addEventListener("dblclick", () => latest.current.onZoom?.(null));
    made.over.addEventListener("mousedown", () => {
      state.current.dragged = false;
    });
    made.over.addEventListener("click", () => {
      if (state.current.dragged) return;
      const line = state.current.focused === null ? undefined : latest.current.lines[state.current.focused];
      if (line?.runId) latest.current.onOpenRun?.(line.runId);
    });
    made.over.addEventListener("mouseleave", () => {
      if (tip.current) tip.current.style.display = "none";
    });
    plot.current = made;
    painted();
  }, [props.lines, props.x, props.log, props.height, theme]);

  useEffect(() => {
    const element = host.current;
    if (!element) return;
    const observer = new ResizeObserver(() => {
      const u = plot.current;
      if (u && Math.abs(u.width - element.clientWidth) > 2)
        u.setSize({ width: Math.max(200, element.clientWidth), height: u.height });
    });
    observer.observe(element);
    return () => {
      observer.disconnect();
      plot.current?.destroy();
      plot.current = null;
    };
  }, []);

  return (
    <div class="chart" role="img" aria-label={props.label} data-lines={props.lines.length}>
      <div ref={host} class={props.onOpenRun ? "chart-plot clickable" : "chart-plot"} />
      <div ref={tip} class="chart-tip" style={{ display: "none" }} />
    </div>
  );
}
