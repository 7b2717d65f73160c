// A small router over the History API: /ui/ is the inventory, /ui/vms/<name> a VM's page.
import { useEffect, useState } from "react";

export type Route = { page: "inventory" } | { page: "host" } | { page: "events" } | { page: "admin" } | { page: "vm"; name: string; tab: string };

function parse(path: string): Route {
  const match = /^\/ui\/vms\/([^/]+)(?:\/([a-z]+))?/.exec(path);
  if (match) return { page: "vm", name: decodeURIComponent(match[1]!), tab: match[2] ?? "summary" };
  if (path.startsWith("/ui/host")) return { page: "host" };
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
