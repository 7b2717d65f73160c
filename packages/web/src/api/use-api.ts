// useApi: one read through the client with its data and error, reloaded when what it reads
// changes, when asked, and when vmctld comes back after being unreachable.
import { useCallback, useEffect, useState } from "react";
import { useReachability } from "./reachability";

export interface Loaded<T> { data: T | undefined; error: Error | null; reload: () => void }

/**
 * `load` null waits (nothing to load yet). `what` names what is read (a new one shows nothing of
 * the old); `version` reloads when it changes, keeping what is shown meanwhile.
 */
export function useApi<T>(load: (() => Promise<T>) | null, what: readonly unknown[] = [], version: unknown = 0): Loaded<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<Error | null>(null);
  const [asked, setAsked] = useState(0);
  const { epoch } = useReachability();
  const waiting = load === null;
  const key = JSON.stringify(what);
  useEffect(() => {
    if (load === null) return;
    let current = true;
    load().then(
      (answer) => { if (current) { setData(answer); setError(null); } },
      (e: Error) => { if (current) setError(e); },
    );
    return () => { current = false; };
    // `load` is a new closure each render; what it reads is `key`.
  }, [key, waiting, version, asked, epoch]);
  useEffect(() => { setData(undefined); setError(null); }, [key, waiting]);
  return { data, error, reload: useCallback(() => setAsked((n) => n + 1), []) };
}
