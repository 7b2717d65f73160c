// Administration: users with their roles and grants, API tokens, and the audit log.
import { useState, type ReactNode } from "react";
import { Button, Form, FormGroup, FormSelect, FormSelectOption, PageSection, SearchInput, Tab, Tabs, TextInput, Title, Toolbar, ToolbarContent, ToolbarItem } from "@patternfly/react-core";
import { Table, Tbody, Td, Th, Thead, Tr } from "@patternfly/react-table";
import { client } from "../../api/http";
import { useApi, type Loaded } from "../../api/use-api";
import { Empty, LoadError, Loading } from "../shared/states";
import { useNotify } from "../../state/notify";
import { useSession } from "../../state/session";


export function AdminView() {
  const { can } = useSession();
  const notify = useNotify();
  const [tab, setTab] = useState<string | number>(can("user.admin") ? "users" : "audit");
  const [auditUser, setAuditUser] = useState("");
  const [version, setVersion] = useState(0);
  const usersRead = useApi(can("user.admin") ? () => client.listUsers() : null, ["users"], version);
  const rolesRead = useApi(() => client.listRoles(), ["roles"]);
  const tokensRead = useApi(can("token.own") ? () => client.listTokens() : null, ["tokens"], version);
  const auditFilter = auditUser.trim();
  const auditRead = useApi(can("audit.read") ? () => client.listAudit({ limit: 200, ...(auditFilter ? { user: auditFilter } : {}) }) : null, ["audit", auditFilter], version);
  const roles = rolesRead.data?.map((r) => r.name) ?? [];
  const [draft, setDraft] = useState({ username: "", password: "", role: "ReadOnly" });
  const [grant, setGrant] = useState({ user: "", vm: "", role: "Operator" });
  const act = (what: string, work: Promise<unknown>) => work.then(() => setVersion((v) => v + 1), (e: Error) => notify(`Could not ${what}`, e.message));
  const states = <T,>(read: Loaded<T>, what: string, isEmpty: (data: T) => boolean, empty: ReactNode, table: (data: T) => ReactNode) =>
    read.error && !read.data ? <LoadError what={what} error={read.error} onRetry={read.reload} />
      : !read.data ? <Loading what={what} />
      : isEmpty(read.data) ? empty
      : table(read.data);
  return (
    <PageSection>
      <Title headingLevel="h1">Administration</Title>
      <Tabs activeKey={tab} onSelect={(_e, key) => setTab(key)} aria-label="Administration sections">
        {can("user.admin") ? (
          <Tab eventKey="users" title="Users and roles">
            {states(usersRead, "the users", (d) => d.length === 0, <Empty title="No users">Create one below.</Empty>, (users) => (
            <Table aria-label="Users" variant="compact">
              <Thead><Tr><Th>User</Th><Th>Role</Th><Th>Grants on VMs</Th><Th>Status</Th><Th screenReaderText="Actions" /></Tr></Thead>
              <Tbody>
                {users.map((u) => (
                  <Tr key={u.name}>
                    <Td dataLabel="User">{u.name}</Td>
                    <Td dataLabel="Role">
                      <FormSelect aria-label={`Role of ${u.name}`} value={u.role} onChange={(_e, role) => void act("change the role", client.updateUser(u.name, { role }))}>
                        {roles.map((r) => <FormSelectOption key={r} value={r} label={r} />)}
                      </FormSelect>
                    </Td>
                    <Td dataLabel="Grants">{Object.entries(u.grants).map(([vm, role]) => `${vm}: ${role}`).join(", ") || "-"}</Td>
                    <Td dataLabel="Status">{u.disabled ? "disabled" : "enabled"}</Td>
                    <Td dataLabel="Actions"><Button variant="secondary" size="sm" aria-label={`${u.disabled ? "Enable" : "Disable"} ${u.name}`} onClick={() => void act("change the user", client.updateUser(u.name, { disabled: !u.disabled }))}>{u.disabled ? "Enable" : "Disable"}</Button></Td>
                  </Tr>
                ))}
              </Tbody>
            </Table>
            ))}
            <Title headingLevel="h2" size="md" style={{ marginTop: 24 }}>Grant a role on one VM</Title>
            <Form isHorizontal style={{ maxWidth: 560 }} onSubmit={(e) => { e.preventDefault(); void act("grant the role", client.setGrant(grant.user, grant.vm, grant.role)); }}>
              <FormGroup label="User" fieldId="grant-user"><TextInput id="grant-user" value={grant.user} onChange={(_e, v) => setGrant({ ...grant, user: v })} /></FormGroup>
              <FormGroup label="VM" fieldId="grant-vm"><TextInput id="grant-vm" value={grant.vm} onChange={(_e, v) => setGrant({ ...grant, vm: v })} /></FormGroup>
              <FormGroup label="Role" fieldId="grant-role">
                <FormSelect id="grant-role" value={grant.role} onChange={(_e, v) => setGrant({ ...grant, role: v })}>{roles.map((r) => <FormSelectOption key={r} value={r} label={r} />)}</FormSelect>
              </FormGroup>
              <Button type="submit" isDisabled={!grant.user || !grant.vm}>Grant</Button>
            </Form>
            <Title headingLevel="h2" size="md" style={{ marginTop: 24 }}>New user</Title>
            <Form isHorizontal style={{ maxWidth: 560 }} onSubmit={(e) => { e.preventDefault(); void act("create the user", client.createUser(draft.username, draft.password, draft.role).then(() => setDraft({ username: "", password: "", role: "ReadOnly" }))); }}>
              <FormGroup label="User name" fieldId="new-user"><TextInput id="new-user" value={draft.username} onChange={(_e, v) => setDraft({ ...draft, username: v })} /></FormGroup>
              <FormGroup label="Password" fieldId="new-password"><TextInput id="new-password" type="password" value={draft.password} onChange={(_e, v) => setDraft({ ...draft, password: v })} /></FormGroup>
              <FormGroup label="Role" fieldId="new-role">
                <FormSelect id="new-role" value={draft.role} onChange={(_e, v) => setDraft({ ...draft, role: v })}>{roles.map((r) => <FormSelectOption key={r} value={r} label={r} />)}</FormSelect>
              </FormGroup>
              <Button type="submit" isDisabled={!draft.username || draft.password.length < 8}>Create user</Button>
            </Form>
          </Tab>
        ) : null}
        <Tab eventKey="tokens" title="API tokens">
          {states(tokensRead, "the API tokens", (d) => d.length === 0, <Empty title="No API tokens">Create one with <code>vmctl token create NAME --role ROLE</code>; scripts use it as a bearer token.</Empty>, (tokens) => (
          <Table aria-label="API tokens" variant="compact">
            <Thead><Tr><Th>Id</Th><Th>Name</Th><Th>User</Th><Th>Role</Th><Th>Expires</Th><Th>Last used</Th><Th>Status</Th><Th screenReaderText="Actions" /></Tr></Thead>
            <Tbody>
              {tokens.map((t) => (
                <Tr key={t.id}>
                  <Td>{t.id}</Td><Td>{t.name}</Td><Td>{t.user}</Td><Td>{t.role}</Td>
                  <Td>{t.expiresAt ? new Date(t.expiresAt).toLocaleDateString() : "never"}</Td>
                  <Td>{t.lastUsedAt ? new Date(t.lastUsedAt).toLocaleString() : "-"}</Td>
                  <Td>{t.revoked ? "revoked" : "active"}</Td>
                  <Td>{t.revoked ? null : <Button variant="danger" size="sm" aria-label={`Revoke token ${t.name}`} onClick={() => void act("revoke the token", client.revokeToken(t.id))}>Revoke</Button>}</Td>
                </Tr>
              ))}
            </Tbody>
          </Table>
          ))}
        </Tab>
        {can("audit.read") ? (
          <Tab eventKey="audit" title="Audit log">
            <Toolbar>
              <ToolbarContent>
                <ToolbarItem><SearchInput aria-label="Filter the audit log by user" placeholder="Filter by user" value={auditUser} onChange={(_e, v) => setAuditUser(v)} onClear={() => setAuditUser("")} /></ToolbarItem>
              </ToolbarContent>
            </Toolbar>
            {states(auditRead, "the audit log", (d) => d.length === 0, <Empty title={auditUser ? "Nothing by this user" : "The audit log is empty"}>{auditUser ? "Check the user name, or clear the filter." : "Every change made through the API is recorded here."}</Empty>, (audit) => (
            <Table aria-label="Audit log" variant="compact" data-testid="audit">
              <Thead><Tr><Th>Time</Th><Th>User</Th><Th>From</Th><Th>Action</Th><Th>Target</Th><Th>Result</Th></Tr></Thead>
              <Tbody>
                {audit.map((a) => (
                  <Tr key={a.id}><Td>{new Date(a.time).toLocaleString()}</Td><Td>{a.user}</Td><Td>{a.source}</Td><Td>{a.action}</Td><Td>{a.target ?? "-"}</Td><Td>{a.result} ({a.status})</Td></Tr>
                ))}
              </Tbody>
            </Table>
            ))}
          </Tab>
        ) : null}
      </Tabs>
    </PageSection>
  );
}
