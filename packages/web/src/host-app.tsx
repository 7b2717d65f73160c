// Everything after login: whether the server is vmcenter (cluster mode), the shell, the live host
// data and every page. Its own chunk, so the login page loads without tables, wizard and consoles;
// LoginView starts fetching it as soon as someone types a user name.
import { lazy, Suspense } from "react";
import { HostDataProvider } from "./state/host-data";
import { ClusterProvider, useCluster } from "./state/cluster";
import { useRoute, type Route } from "./state/router";
import { AppShell } from "./components/shell/AppShell";
import { InventoryView } from "./components/inventory/InventoryView";
import { VmView } from "./components/vm/VmView";
import { HostView } from "./components/host/HostView";
import { EventsView } from "./components/events/EventsView";
import { AdminView } from "./components/admin/AdminView";
import { NetworksView } from "./components/networks/NetworksView";
import { HostsView } from "./components/cluster/HostsView";
import { Loading } from "./components/shared/states";
import { ConsoleWindow, consoleWindowOf } from "./components/console/ConsoleWindow";

// The storage page and its upload machinery come when first opened. vmcenter's Hosts page and
// migrate dialog ride here (about 4 KB): a chunk of their own splits the login page's shared
// modules into more, smaller files (measured: +2.4 KB on the first load, past its budget).
const StorageView = lazy(() => import("./components/storage/StorageView"));

export default function HostApp() {
  const route = useRoute();
  // A console in its own window: only the console, filling the window.
  const popOut = consoleWindowOf(route, location.search);
  if (popOut) return <HostDataProvider><ConsoleWindow name={popOut.name} kind={popOut.kind} /></HostDataProvider>;
  return (
    <ClusterProvider>
    <HostDataProvider>
      <AppShell>
        <Pages route={route} />
      </AppShell>
    </HostDataProvider>
    </ClusterProvider>
  );
}

/** The page of the address; at vmcenter the one-host page (/ui/host) is the Hosts page. */
function Pages({ route }: { route: Route }) {
  const cluster = useCluster();
  const hosts = route.page === "hosts" || (route.page === "host" && cluster !== null);
  return route.page === "vm" ? <VmView name={route.name} tab={route.tab} />
    : hosts ? <HostsView />
    : route.page === "host" ? <HostView />
    : route.page === "events" ? <EventsView />
    : route.page === "admin" ? <AdminView />
    : route.page === "networks" ? <NetworksView />
    : route.page === "storage" ? <Suspense fallback={<Loading what="the storage page" lines={4} />}><StorageView tab={route.tab} datastore={route.datastore} path={route.path} /></Suspense>
    : <InventoryView />;
}
