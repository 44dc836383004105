// The run's logs as its event stream delivers them: the tail follows new lines while the view is
// scrolled to the bottom.
import type { JSX } from "preact";
import { useEffect, useLayoutEffect, useRef } from "preact/hooks";
import { setQuery, useLocation } from "../../router";

export function LogsTab(props: { logs: Record<string, string>; running: boolean }): JSX.Element {
  const streams = Object.keys(props.logs).sort();
  const wanted = useLocation().query.get("log");
  const stream = wanted && streams.includes(wanted) ? wanted : streams[0];
  const box = useRef<HTMLPreElement>(null);
  const follow = useRef(true);
  const text = stream ? (props.logs[stream] ?? "") : "";
  useLayoutEffect(() => {
    const element = box.current;
    if (element && follow.current) element.scrollTop = element.scrollHeight;
  }, [text]);
  useEffect(() => {
    follow.current = true;
  }, [stream]);
  if (!stream) return <p class="muted">{props.running ? "No log lines yet." : "This run has no logs."}</p>;
  return (
    <section class="logs-tab">
      <div class="log-streams" role="tablist">
        {streams.map((s) => (
          <button
            key={s}
            type="button"
            role="tab"
            aria-selected={s === stream}
            onClick={() => setQuery({ log: s })}
          >
            {s}
          </button>
        ))}
        {props.running && <span class="live-badge">live</span>}
      </div>
      <pre
        ref={box}
        class="log-text"
        data-stream={stream}
        onScroll={(e) => {
          const element = e.currentTarget;
          follow.current = element.scrollHeight - element.scrollTop - element.clientHeight < 24;
        }}
      >
        {text}
      </pre>
    </section>
  );
}
