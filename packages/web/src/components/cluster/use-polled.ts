// A number that grows every `ms` while the page is visible: a useApi version that reads again on a timer.
import { useEffect, useState } from "react";

export function usePolled(ms: number): number {
  const [n, setN] = useState(0);
  useEffect(() => {
    const timer = window.setInterval(() => { if (document.visibilityState === "visible") setN((x) => x + 1); }, ms);
    return () => window.clearInterval(timer);
  }, [ms]);
  return n;
}
