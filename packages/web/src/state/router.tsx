// A small router over the History API: /ui/ is the inventory, /ui/vms/<name> a VM's page,
// /ui/cluster/hosts the hosts of a cluster (at vmcenter, which serves the app at /ui/cluster/*), /ui/storage the datastores, /ui/networks the host's networks, /ui/storage/isos the ISO library, /ui/storage/browse/<ds>/<path> a folder.
import { useEffect, useState } from "react";
import { encodePath } from "../api/encode-path";

export type StorageTab = "datastores" | "browse" | "isos";
export type Route = { page: "inventory" } | { page: "host" } | { page: "hosts" } | { page: "networks" } | { page: "events" } | { page: "admin" } | { page: "vm"; name: string; tab: string }
  | { page: "storage"; tab: StorageTab; datastore?: string; path: string };

/** The address of a folder in the datastore browser. */
export const browsePath = (datastore: string, path = "") =>
  `/ui/storage/browse/${encodeURIComponent(datastore)}${path ? `/${encodePath(path)}` : ""}`;

function parseStorage(rest: string): Route {
  const [tab, datastore, ...path] = rest.split("/").filter(Boolean).map(decodeURIComponent);
  if (tab === "isos") return { page: "storage", tab: "isos", path: "" };
  if (tab === "browse") return { page: "storage", tab: "browse", ...(datastore ? { datastore } : {}), path: path.join("/") };
  return { page: "storage", tab: "datastores", path: "" };
}

function parse(path: string): Route {
  if (path === "/ui/storage" || path.startsWith("/ui/storage/")) return parseStorage(path.slice("/ui/storage".length));
  const match = /^\/ui\/vms\/([^/]+)(?:\/([a-z]+))?/.exec(path);
  if (match) return { page: "vm", name: decodeURIComponent(match[1]!), tab: match[2] ?? "summary" };
  if (path === "/ui/cluster" || path.startsWith("/ui/cluster/")) return { page: "hosts" };
  if (path.startsWith("/ui/host")) return { page: "host" };
  if (path === "/ui/networks" || path.startsWith("/ui/networks/")) return { page: "networks" };
  if (path.startsWith("/ui/events")) return { page: "events" };
  if (path.startsWith("/ui/admin")) return { page: "admin" };
  return { page: "inventory" };
}

export function navigate(path: string): void {
  history.pushState(null, "", path);
  window.dispatchEvent(new PopStateEvent("popstate"));
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parse(location.pathname));
  useEffect(() => {
    const update = () => setRoute(parse(location.pathname));
    window.addEventListener("popstate", update);
    return () => window.removeEventListener("popstate", update);
  }, []);
  return route;
}
