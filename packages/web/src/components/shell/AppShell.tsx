// The frame: masthead with the host's name, the user and logout; the page; the tasks panel below.
import type { ReactNode } from "react";
import { Button, Label, Masthead, MastheadBrand, MastheadContent, MastheadMain, Page, Toolbar, ToolbarContent, ToolbarItem } from "@patternfly/react-core";
import { useSession } from "../../state/session";
import { useHostData } from "../../state/host-data";
import { navigate } from "../../state/router";
import { TasksPanel } from "../tasks/TasksPanel";

export function AppShell({ children }: { children: ReactNode }) {
  const { me, logout } = useSession();
  const { connected } = useHostData();
  const masthead = (
    <Masthead>
      <MastheadMain>
        <MastheadBrand>
          <a href="/ui/" onClick={(e) => { e.preventDefault(); navigate("/ui/"); }} style={{ color: "inherit", fontWeight: 700, fontSize: "1.3rem", textDecoration: "none", letterSpacing: "0.02em" }}>vmctl</a>
        </MastheadBrand>
      </MastheadMain>
      <MastheadContent>
        <Toolbar isFullHeight>
          <ToolbarContent>
            <ToolbarItem>{connected ? <Label color="green" isCompact>live</Label> : <Label color="orange" isCompact>reconnecting to vmctld…</Label>}</ToolbarItem>
            <ToolbarItem align={{ default: "alignEnd" }}><span aria-label="logged in user">{me?.user} ({me?.role})</span></ToolbarItem>
            <ToolbarItem><Button variant="secondary" size="sm" onClick={() => void logout()}>Log out</Button></ToolbarItem>
          </ToolbarContent>
        </Toolbar>
      </MastheadContent>
    </Masthead>
  );
  return (
    <Page masthead={masthead}>
      <div style={{ display: "flex", flexDirection: "column", minHeight: "calc(100vh - 80px)" }}>
        <div style={{ flex: 1 }}>{children}</div>
        <TasksPanel />
      </div>
    </Page>
  );
}
