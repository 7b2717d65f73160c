// The Host Client: log in, then the inventory and the VM pages, all from the public API. Only the
// login page loads first; the rest (host-app) and the consoles come when they are needed.
import { StrictMode, Suspense, lazy } from "react";
import { createRoot } from "react-dom/client";
import "@patternfly/react-core/dist/styles/base.css";
import "./app.css";
import { Bullseye, Spinner } from "@patternfly/react-core";
import { SessionProvider, useSession } from "./state/session";
import { NotifyProvider } from "./state/notify";
import { LoginView } from "./components/login/LoginView";
import { loadHostApp } from "./load-host-app";
import { LoadFailure } from "./components/shared/LoadFailure";

const HostApp = lazy(loadHostApp);

const waiting = (label: string) => <Bullseye style={{ minHeight: "100vh" }}><Spinner aria-label={label} /></Bullseye>;

function App() {
  const { me } = useSession();
  if (me === undefined) return waiting("Connecting to vmctld");
  if (me === null) return <LoginView />;
  // A console in its own window (?window=1) comes with the rest, from host-app.
  return <Suspense fallback={waiting("Loading")}><HostApp /></Suspense>;
}

createRoot(document.getElementById("root")!).render(
  <StrictMode>
    <NotifyProvider>
      <SessionProvider><LoadFailure><App /></LoadFailure></SessionProvider>
    </NotifyProvider>
  </StrictMode>,
);
