// The frame: masthead with the host's name, the user and logout; the page; the tasks panel below.
import type { ReactNode } from "react";
import { Button, Label, Masthead, MastheadBrand, MastheadContent, MastheadMain, Nav, NavItem, NavList, Page, PageSidebar, PageSidebarBody, Toolbar, ToolbarContent, ToolbarItem } from "@patternfly/react-core";
import { useSession } from "../../state/session";
import { useHostData } from "../../state/host-data";
import { navigate, useRoute } from "../../state/router";
import { TasksPanel } from "../tasks/TasksPanel";

export function AppShell({ children }: { children: ReactNode }) {
  const { me, logout, can } = useSession();
  const route = useRoute();
  const link = (path: string, label: string, active: boolean) => (
    <NavItem isActive={active} to={path} onClick={(e) => { e.preventDefault(); navigate(path); }}>{label}</NavItem>
  );
  const sidebar = (
    <PageSidebar>
      <PageSidebarBody>
        <Nav aria-label="Sections">
          <NavList>
            {link("/ui/", "Virtual machines", route.page === "inventory" || route.page === "vm")}
            {link("/ui/host", "Host", route.page === "host")}
            {link("/ui/events", "Events", route.page === "events")}
            {can("user.admin") || can("audit.read") || can("token.own") ? link("/ui/admin", "Administration", route.page === "admin") : null}
          </NavList>
        </Nav>
      </PageSidebarBody>
    </PageSidebar>
  );
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
    <Page masthead={masthead} sidebar={sidebar}>
      <div style={{ display: "flex", flexDirection: "column", minHeight: "calc(100vh - 80px)" }}>
        <div style={{ flex: 1 }}>{children}</div>
        <TasksPanel />
      </div>
    </Page>
  );
}
