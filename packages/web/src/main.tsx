// The Host Client: log in, then the inventory and the VM pages, all from the public API.
import { StrictMode } from "react";
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

function App() {
  const { me } = useSession();
  const route = useRoute();
  if (me === undefined) return <Bullseye><Spinner aria-label="Loading" /></Bullseye>;
  if (me === null) return <LoginView />;
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
