// Cluster mode: whether this Host Client talks to vmcenter (GET /api/v1/cluster answers) or to one
// host (it answers 404). Asked once after login, before the frame shows, so that the navigation,
// the masthead and the VM list never change shape under the user.
import { createContext, useContext, useEffect, useState, type ReactNode } from "react";
import { Bullseye, Spinner } from "@patternfly/react-core";
import type { ClusterInfo } from "@vmctl/api-types";
import { ApiError, client } from "../api/http";

const ClusterContext = createContext<ClusterInfo | null>(null);

/** Asks whether the server is vmcenter, then shows `children` (a host: no cluster). */
export function ClusterProvider({ children }: { children: ReactNode }) {
  const [cluster, setCluster] = useState<ClusterInfo | null | undefined>(undefined);
  useEffect(() => {
    let timer: number | undefined;
    let current = true;
    // Unreachable for a moment: ask again; any other refusal means no cluster here.
    const ask = () => client.cluster.detect().then((info) => { if (current) setCluster(info); }, (e: unknown) => {
      if (!current) return;
      if (e instanceof ApiError && e.status === 0) timer = window.setTimeout(ask, 2000);
      else setCluster(null);
    });
    void ask();
    return () => { current = false; window.clearTimeout(timer); };
  }, []);
  if (cluster === undefined) return <Bullseye style={{ minHeight: "100vh" }}><Spinner aria-label="Loading" /></Bullseye>;
  return <ClusterContext.Provider value={cluster}>{children}</ClusterContext.Provider>;
}

/** The cluster vmcenter leads, or null on a plain host. */
export const useCluster = (): ClusterInfo | null => useContext(ClusterContext);
