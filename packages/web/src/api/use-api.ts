// useApi: one GET with its data and error, reloaded when its path changes, when asked,
// and when vmctld comes back after being unreachable.
import { useCallback, useEffect, useState } from "react";
import { api } from "./http";
import { useReachability } from "./reachability";

export interface Loaded<T> { data: T | undefined; error: Error | null; reload: () => void }

/** `path` null waits (nothing to load yet); `version` reloads when it changes. */
export function useApi<T>(path: string | null, version: unknown = 0): Loaded<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<Error | null>(null);
  const [asked, setAsked] = useState(0);
  const { epoch } = useReachability();
  useEffect(() => {
    if (path === null) return;
    let current = true;
    api<T>("GET", path).then(
      (answer) => { if (current) { setData(answer); setError(null); } },
      (e: Error) => { if (current) setError(e); },
    );
    return () => { current = false; };
  }, [path, version, asked, epoch]);
  // A new path shows nothing of the old one.
  useEffect(() => { setData(undefined); setError(null); }, [path]);
  return { data, error, reload: useCallback(() => setAsked((n) => n + 1), []) };
}
