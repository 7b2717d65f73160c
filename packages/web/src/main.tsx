// The Host Client: log in, then the inventory and the VM pages, all from the public API.
import { StrictMode, Suspense, lazy } from "react";
import { createRoot } from "react-dom/client";
import "@patternfly/react-core/dist/styles/base.css";
import { Bullseye, Spinner } from "@patternfly/react-core";
import { SessionProvider, useSession } from "./state/session";
import { HostDataProvider } from "./state/host-data";
import { NotifyProvider } from "./state/notify";
import { useRoute } from "./state/router";
import { LoginView } from "./components/login/LoginView";
import { AppShell } from "./components/shell/AppShell";
import { InventoryView } from "./components/inventory/InventoryView";
import { VmView } from "./components/vm/VmView";
import { HostView } from "./components/host/HostView";
import { EventsView } from "./components/events/EventsView";
import { AdminView } from "./components/admin/AdminView";

const SerialConsole = lazy(() => import("./components/console/SerialConsole"));

function App() {
  const { me, can } = useSession();
  const route = useRoute();
  if (me === undefined) return <Bullseye><Spinner aria-label="Loading" /></Bullseye>;
  if (me === null) return <LoginView />;
  // A console in its own window, as ESXi's: just the console, full size.
  if (route.page === "vm" && route.tab === "console" && new URLSearchParams(location.search).has("window")) {
    return <Suspense fallback={<Spinner aria-label="Loading the console" />}><SerialConsole name={route.name} canType={can("vm.console.input", route.name)} /></Suspense>;
  }
  return (
    <HostDataProvider>
      <AppShell>
        {route.page === "vm" ? <VmView name={route.name} tab={route.tab} />
          : route.page === "host" ? <HostView />
          : route.page === "events" ? <EventsView />
          : route.page === "admin" ? <AdminView />
          : <InventoryView />}
      </AppShell>
    </HostDataProvider>
  );
}

createRoot(document.getElementById("root")!).render(
  <StrictMode>
    <NotifyProvider>
      <SessionProvider><App /></SessionProvider>
    </NotifyProvider>
  </StrictMode>,
);
