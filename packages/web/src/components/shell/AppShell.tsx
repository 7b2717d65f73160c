// The frame: masthead with the host's name (at vmcenter: "vmcenter — cluster <id>", and Hosts in
// the navigation), the user and logout; the connection banner; the page;
// the one-line task bar stuck below it (opens to the task table; a VM's own tasks on its page).
import type { ReactNode } from "react";
import { Button, Masthead, MastheadBrand, MastheadContent, MastheadMain, Nav, NavItem, NavList, Page, PageSidebar, PageSidebarBody, SkipToContent, Toolbar, ToolbarContent, ToolbarItem } from "@patternfly/react-core";
import VirtualMachineIcon from "@patternfly/react-icons/dist/esm/icons/virtual-machine-icon";
import UserIcon from "@patternfly/react-icons/dist/esm/icons/user-icon";
import { useSession } from "../../state/session";
import { navigate, useRoute } from "../../state/router";
import { useApi } from "../../api/use-api";
import { useCluster } from "../../state/cluster";
import { client } from "../../api/http";
import { TasksPanel } from "../tasks/TasksPanel";
import { ConnectionBanner } from "./ConnectionBanner";

export function AppShell({ children }: { children: ReactNode }) {
  const { me, logout, can } = useSession();
  const route = useRoute();
  const cluster = useCluster();
  // vmcenter is no host: its masthead names the cluster, its navigation has Hosts for Host.
  const { data: host } = useApi(cluster ? null : () => client.host(), ["host"]);
  const link = (path: string, label: string, active: boolean) => (
    <NavItem isActive={active} to={path} onClick={(e) => { e.preventDefault(); navigate(path); }}>{label}</NavItem>
  );
  const sidebar = (
    <PageSidebar>
      <PageSidebarBody>
        <Nav aria-label="Sections">
          <NavList>
            {link("/ui/", "Virtual machines", route.page === "inventory" || route.page === "vm")}
            {cluster ? link("/ui/cluster/hosts", "Hosts", route.page === "hosts" || route.page === "host") : link("/ui/host", "Host", route.page === "host")}
            {can("host.read") && !cluster ? link("/ui/storage", "Storage", route.page === "storage") : null}
            {can("host.read") && !cluster ? link("/ui/networks", "Networks", route.page === "networks") : null}
            {link("/ui/events", "Events", route.page === "events")}
            {can("user.admin") || can("audit.read") || can("token.own") ? link("/ui/admin", "Administration", route.page === "admin") : null}
          </NavList>
        </Nav>
      </PageSidebarBody>
    </PageSidebar>
  );
  const masthead = (
    <Masthead>
      <MastheadMain>
        <MastheadBrand>
          <a href="/ui/" className="vmctl-brand" onClick={(e) => { e.preventDefault(); navigate("/ui/"); }} aria-label="vmctl home">
            <VirtualMachineIcon className="vmctl-brand__icon" />
            <span className="vmctl-brand__name">vmctl</span>
            {cluster ? <span className="vmctl-brand__host" data-testid="cluster-name">vmcenter — cluster {cluster.clusterId}</span>
              : host ? <span className="vmctl-brand__host">{host.hostname}</span> : null}
          </a>
        </MastheadBrand>
      </MastheadMain>
      <MastheadContent>
        <Toolbar isFullHeight>
          <ToolbarContent>
            <ToolbarItem align={{ default: "alignEnd" }} alignItems="center">
              <span className="vmctl-user"><UserIcon aria-hidden="true" /> <span>{me?.user}</span> <span className="vmctl-muted">{me?.role}</span></span>
            </ToolbarItem>
            <ToolbarItem><Button variant="secondary" size="sm" onClick={() => void logout()}>Log out</Button></ToolbarItem>
          </ToolbarContent>
        </Toolbar>
      </MastheadContent>
    </Masthead>
  );
  return (
    <Page masthead={masthead} sidebar={sidebar} isContentFilled skipToContent={<SkipToContent href="#main">Skip to content</SkipToContent>} mainContainerId="main" banner={<ConnectionBanner />}>
      <div className="vmctl-page">
        <div className="vmctl-page__body">{children}</div>
        <TasksPanel />
      </div>
    </Page>
  );
}
