// The single place that reports a failed action to the user (Cockpit's habit: one showVmError).
import { createContext, useCallback, useContext, useState, type ReactNode } from "react";
import { Alert, AlertActionCloseButton, AlertGroup } from "@patternfly/react-core";

interface Notice { id: number; title: string; detail: string }
const NotifyContext = createContext<(title: string, detail: string) => void>(() => {});

export function NotifyProvider({ children }: { children: ReactNode }) {
  const [notices, setNotices] = useState<Notice[]>([]);
  const notify = useCallback((title: string, detail: string) => {
    const id = Date.now() + Math.random();
    setNotices((list) => [...list, { id, title, detail }]);
    window.setTimeout(() => setNotices((list) => list.filter((n) => n.id !== id)), 8000);
  }, []);
  return (
    <NotifyContext.Provider value={notify}>
      {children}
      <AlertGroup isToast isLiveRegion>
        {notices.map((n) => (
          <Alert key={n.id} variant="danger" title={n.title} actionClose={<AlertActionCloseButton onClose={() => setNotices((l) => l.filter((x) => x.id !== n.id))} />}>{n.detail}</Alert>
        ))}
      </AlertGroup>
    </NotifyContext.Provider>
  );
}

export function useNotify(): (title: string, detail: string) => void {
  return useContext(NotifyContext);
}
