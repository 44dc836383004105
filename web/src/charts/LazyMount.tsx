// Mount children only once their place scrolls into view: a page of many charts costs what the
// visible ones cost.
import type { ComponentChildren, JSX } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";

export function LazyMount(props: { height: number; children: ComponentChildren }): JSX.Element {
  const place = useRef<HTMLDivElement>(null);
  const [seen, setSeen] = useState(false);
  useEffect(() => {
    const element = place.current;
    if (!element || seen) return;
    const observer = new IntersectionObserver(
      (entries) => {
        if (entries.some((e) => e.isIntersecting)) {
          setSeen(true);
          observer.disconnect();
        }
      },
      { rootMargin: "200px" },
    );
    observer.observe(element);
    return () => observer.disconnect();
  }, [seen]);
  return (
    <div ref={place} style={seen ? undefined : { minHeight: `${props.height}px` }}>
      {seen ? props.children : null}
    </div>
  );
}
