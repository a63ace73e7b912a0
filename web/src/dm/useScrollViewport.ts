import { useCallback, useEffect, useRef, useState, type UIEvent } from "react";

/** Where a scrolling element is and how big it is. */
export interface Viewport {
  top: number;
  height: number;
  width: number;
}

const read = (element: HTMLElement): Viewport => ({ top: element.scrollTop, height: element.clientHeight, width: element.clientWidth });

/**
 * The viewport of a scrolling element (attach `ref`, pass `onScroll`), kept as it scrolls and
 * resizes, and back at the top whenever `resetKey` changes (other filters or ordering).
 */
export function useScrollViewport(resetKey: string) {
  const element = useRef<HTMLDivElement | null>(null);
  const observer = useRef<ResizeObserver | null>(null);
  const [viewport, setViewport] = useState<Viewport>({ top: 0, height: 600, width: 800 });
  const ref = useCallback((node: HTMLDivElement | null) => {
    observer.current?.disconnect();
    element.current = node;
    if (!node) return;
    const measure = () => setViewport(read(node));
    measure();
    observer.current = new ResizeObserver(measure);
    observer.current.observe(node);
  }, []);
  useEffect(() => {
    setViewport((v) => ({ ...v, top: 0 }));
    element.current?.scrollTo(0, 0);
  }, [resetKey]);
  const onScroll = (e: UIEvent<HTMLDivElement>) => setViewport(read(e.currentTarget));
  return { element, ref, viewport, onScroll };
}
