// A fixed-row-height virtual list: renders only the visible rows, so a million rows scroll like
// fifty. Past browsers' element-height limits the scroll range is scaled onto the row range.

import type { ComponentChildren } from "preact";
import { useEffect, useLayoutEffect, useRef, useState } from "preact/hooks";

const MAX_SCROLL_PX = 8_000_000;

interface Props {
  count: number;
  rowHeight: number;
  /** Renders row i; called only for visible rows. */
  row: (i: number) => ComponentChildren;
  /** Index of the row to keep in view (keyboard selection). */
  active?: number;
  onKey?: (e: KeyboardEvent) => void;
  /** Called with the visible range after each render (lazy row details). */
  onRange?: (first: number, last: number) => void;
  /** Called when the view nears the end (load more). */
  onEnd?: () => void;
  label?: string;
  class?: string;
}

export function VirtualList(p: Props) {
  const box = useRef<HTMLDivElement>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const [height, setHeight] = useState(400);
  useLayoutEffect(() => {
    const el = box.current!;
    const ro = new ResizeObserver(() => setHeight(el.clientHeight));
    ro.observe(el);
    setHeight(el.clientHeight);
    return () => ro.disconnect();
  }, []);
  const full = p.count * p.rowHeight;
  const total = Math.min(full, MAX_SCROLL_PX);
  const visible = Math.ceil(height / p.rowHeight) + 1;
  // Scaled mode: scroll fraction picks the first row; rows then lay out from the viewport top.
  const maxScroll = Math.max(1, total - height);
  const scaled = full > MAX_SCROLL_PX;
  const firstExact = scaled
    ? Math.floor(
      (Math.min(scrollTop, maxScroll) / maxScroll) *
        Math.max(0, p.count - visible + 1),
    )
    : Math.floor(scrollTop / p.rowHeight);
  const first = Math.max(0, firstExact - (scaled ? 0 : 4));
  const last = Math.min(p.count, firstExact + visible + (scaled ? 0 : 4));
  const top = (i: number) => scaled ? scrollTop + (i - firstExact) * p.rowHeight : i * p.rowHeight;

  useEffect(() => {
    p.onRange?.(first, last);
    if (last >= p.count - visible * 2) p.onEnd?.();
  }, [first, last, p.count]);

  useEffect(() => {
    const a = p.active;
    const el = box.current;
    if (a === undefined || a < 0 || !el) return;
    if (scaled) {
      if (a < firstExact || a >= firstExact + visible - 1) {
        el.scrollTop = (a / Math.max(1, p.count - visible + 1)) * maxScroll;
      }
    } else if (a * p.rowHeight < el.scrollTop) el.scrollTop = a * p.rowHeight;
    else if ((a + 1) * p.rowHeight > el.scrollTop + height) {
      el.scrollTop = (a + 1) * p.rowHeight - height;
    }
  }, [p.active]);

  const rows = [];
  for (let i = first; i < last; i++) {
    rows.push(
      <div
        key={i}
        class="vrow"
        style={{ top: `${top(i)}px`, height: `${p.rowHeight}px` }}
      >
        {p.row(i)}
      </div>,
    );
  }
  return (
    <div
      ref={box}
      class={"vlist " + (p.class ?? "")}
      tabIndex={0}
      role="listbox"
      aria-label={p.label}
      onScroll={(e) => setScrollTop((e.currentTarget as HTMLDivElement).scrollTop)}
      onKeyDown={p.onKey}
    >
      <div style={{ height: `${total}px`, position: "relative" }}>{rows}</div>
    </div>
  );
}
