// Who is logged in and what they may do (GET /api/v1/me): every view and button follows this.
import { createContext, useCallback, useContext, useEffect, useState, type ReactNode } from "react";
import type { Me, Privilege } from "@vmctl/api-types";
import { client, ApiError, setCsrf, whenUnauthenticated } from "../api/http";

export type { Me };

interface Session {
  me: Me | null | undefined; // undefined while loading
  can: (privilege: Privilege, vm?: string) => boolean;
  login: (username: string, password: string) => Promise<void>;
  logout: () => Promise<void>;
}

const SessionContext = createContext<Session | null>(null);

export function SessionProvider({ children }: { children: ReactNode }) {
  const [me, setMe] = useState<Me | null | undefined>(undefined);
  useEffect(() => {
    whenUnauthenticated(() => setMe(null));
    // While vmctld does not answer at all, keep asking rather than show a login form that cannot work.
    let timer: number | undefined;
    const ask = () => client.me().then(setMe, (e: unknown) => {
      if (e instanceof ApiError && e.status === 0) timer = window.setTimeout(ask, 2000);
      else setMe(null);
    });
    void ask();
    return () => window.clearTimeout(timer);
  }, []);
  const login = useCallback(async (username: string, password: string) => {
    const answer = await client.login(username, password);
    setCsrf(answer.csrfToken);
    setMe(answer);
  }, []);
  const logout = useCallback(async () => {
    await client.logout().catch(() => {});
    setCsrf(null);
    setMe(null);
  }, []);
  const can = useCallback((privilege: Privilege, vm?: string) => {
    if (!me) return false;
    return me.privileges.host.includes(privilege) || (vm !== undefined && (me.privileges.vms[vm] ?? []).includes(privilege));
  }, [me]);
  return <SessionContext.Provider value={{ me, can, login, logout }}>{children}</SessionContext.Provider>;
}

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error("useSession outside SessionProvider");
  return session;
}
