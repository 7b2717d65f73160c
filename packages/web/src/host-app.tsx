// Everything after login: the shell, the live host data and every page. Its own chunk, so the
// login page loads without tables, wizard and consoles; LoginView starts fetching it as soon as
// someone types a user name.
import { lazy, Suspense } from "react";
import { HostDataProvider } from "./state/host-data";
import { useRoute } from "./state/router";
import { AppShell } from "./components/shell/AppShell";
import { InventoryView } from "./components/inventory/InventoryView";
import { VmView } from "./components/vm/VmView";
import { HostView } from "./components/host/HostView";
import { EventsView } from "./components/events/EventsView";
import { AdminView } from "./components/admin/AdminView";
import { NetworksView } from "./components/networks/NetworksView";
import { Loading } from "./components/shared/states";
import { ConsoleWindow, consoleWindowOf } from "./components/console/ConsoleWindow";

// The storage page and its upload machinery come when first opened.
const StorageView = lazy(() => import("./components/storage/StorageView"));

export default function HostApp() {
  const route = useRoute();
  // A console in its own window: only the console, filling the window.
  const popOut = consoleWindowOf(route, location.search);
  if (popOut) return <HostDataProvider><ConsoleWindow name={popOut.name} kind={popOut.kind} /></HostDataProvider>;
  return (
    <HostDataProvider>
      <AppShell>
        {route.page === "vm" ? <VmView name={route.name} tab={route.tab} />
          : route.page === "host" ? <HostView />
          : route.page === "events" ? <EventsView />
          : route.page === "admin" ? <AdminView />
          : route.page === "networks" ? <NetworksView />
          : route.page === "storage" ? <Suspense fallback={<Loading what="the storage page" lines={4} />}><StorageView tab={route.tab} datastore={route.datastore} path={route.path} /></Suspense>
          : <InventoryView />}
      </AppShell>
    </HostDataProvider>
  );
}
