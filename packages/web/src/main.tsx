// The Host Client: log in, then the inventory and the VM pages, all from the public API. Only the
// login page loads first; the rest (host-app) and the consoles come when they are needed.
import { StrictMode, Suspense, lazy } from "react";
import { createRoot } from "react-dom/client";
import "@patternfly/react-core/dist/styles/base.css";
import "./app.css";
import { Bullseye, Spinner } from "@patternfly/react-core";
import { SessionProvider, useSession } from "./state/session";
import { NotifyProvider } from "./state/notify";
import { useRoute } from "./state/router";
import { LoginView } from "./components/login/LoginView";
import { loadHostApp } from "./load-host-app";

const HostApp = lazy(loadHostApp);
const ConsoleWindow = lazy(() => import("./components/console/ConsoleWindow"));

const waiting = (label: string) => <Bullseye style={{ minHeight: "100vh" }}><Spinner aria-label={label} /></Bullseye>;

function App() {
  const { me } = useSession();
  const route = useRoute();
  if (me === undefined) return waiting("Connecting to vmctld");
  if (me === null) return <LoginView />;
  // A console in its own window, as ESXi's: just the console, filling the window.
  if (route.page === "vm" && (route.tab === "console" || route.tab === "display") && new URLSearchParams(location.search).has("window")) {
    return <Suspense fallback={waiting("Loading the console")}><ConsoleWindow name={route.name} kind={route.tab === "console" ? "serial" : "graphical"} /></Suspense>;
  }
  return <Suspense fallback={waiting("Loading")}><HostApp /></Suspense>;
}

createRoot(document.getElementById("root")!).render(
  <StrictMode>
    <NotifyProvider>
      <SessionProvider><App /></SessionProvider>
    </NotifyProvider>
  </StrictMode>,
);
