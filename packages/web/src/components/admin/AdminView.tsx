// Administration: users with their roles and grants, API tokens, and the audit log.
import { useEffect, useState } from "react";
import { Button, Form, FormGroup, FormSelect, FormSelectOption, PageSection, Tab, Tabs, TextInput, Title } from "@patternfly/react-core";
import { Table, Tbody, Td, Th, Thead, Tr } from "@patternfly/react-table";
import { api } from "../../api/http";
import { useNotify } from "../../state/notify";
import { useSession } from "../../state/session";

interface User { name: string; role: string; disabled: boolean; grants: Record<string, string> }
interface Token { id: string; name: string; user: string; role: string; expiresAt: string | null; lastUsedAt: string | null; revoked: boolean }
interface AuditEntry { id: number; time: string; user: string; source: string; action: string; target: string | null; result: string; status: number }

export function AdminView() {
  const { can } = useSession();
  const notify = useNotify();
  const [tab, setTab] = useState<string | number>(can("user.admin") ? "users" : "audit");
  const [users, setUsers] = useState<User[]>([]);
  const [roles, setRoles] = useState<string[]>([]);
  const [tokens, setTokens] = useState<Token[]>([]);
  const [audit, setAudit] = useState<AuditEntry[]>([]);
  const [auditUser, setAuditUser] = useState("");
  const [draft, setDraft] = useState({ username: "", password: "", role: "ReadOnly" });
  const [grant, setGrant] = useState({ user: "", vm: "", role: "Operator" });
  const load = () => {
    if (can("user.admin")) api<{ users: User[] }>("GET", "/api/v1/users").then((a) => setUsers(a.users), () => {});
    api<{ roles: Array<{ name: string }> }>("GET", "/api/v1/roles").then((a) => setRoles(a.roles.map((r) => r.name)), () => {});
    if (can("token.own")) api<{ tokens: Token[] }>("GET", "/api/v1/tokens").then((a) => setTokens(a.tokens), () => {});
    if (can("audit.read")) api<{ entries: AuditEntry[] }>("GET", `/api/v1/audit?limit=200${auditUser ? `&user=${encodeURIComponent(auditUser)}` : ""}`).then((a) => setAudit(a.entries), () => {});
  };
  useEffect(load, [auditUser]);
  const act = (what: string, work: Promise<unknown>) => work.then(load, (e: Error) => notify(`Could not ${what}`, e.message));
  return (
    <PageSection>
      <Title headingLevel="h1">Administration</Title>
      <Tabs activeKey={tab} onSelect={(_e, key) => setTab(key)} aria-label="Administration sections">
        {can("user.admin") ? (
          <Tab eventKey="users" title="Users and roles">
            <Table aria-label="Users" variant="compact">
              <Thead><Tr><Th>User</Th><Th>Role</Th><Th>Grants on VMs</Th><Th>Status</Th><Th screenReaderText="Actions" /></Tr></Thead>
              <Tbody>
                {users.map((u) => (
                  <Tr key={u.name}>
                    <Td dataLabel="User">{u.name}</Td>
                    <Td dataLabel="Role">
                      <FormSelect aria-label={`Role of ${u.name}`} value={u.role} onChange={(_e, role) => void act("change the role", api("PATCH", `/api/v1/users/${u.name}`, { role }))}>
                        {roles.map((r) => <FormSelectOption key={r} value={r} label={r} />)}
                      </FormSelect>
                    </Td>
                    <Td dataLabel="Grants">{Object.entries(u.grants).map(([vm, role]) => `${vm}: ${role}`).join(", ") || "-"}</Td>
                    <Td dataLabel="Status">{u.disabled ? "disabled" : "enabled"}</Td>
                    <Td dataLabel="Actions"><Button variant="secondary" size="sm" onClick={() => void act("change the user", api("PATCH", `/api/v1/users/${u.name}`, { disabled: !u.disabled }))}>{u.disabled ? "Enable" : "Disable"}</Button></Td>
                  </Tr>
                ))}
              </Tbody>
            </Table>
            <Title headingLevel="h2" size="md" style={{ marginTop: 16 }}>Grant a role on one VM</Title>
            <Form isHorizontal style={{ maxWidth: 560 }} onSubmit={(e) => { e.preventDefault(); void act("grant the role", api("PUT", `/api/v1/users/${encodeURIComponent(grant.user)}/grants/${encodeURIComponent(grant.vm)}`, { role: grant.role })); }}>
              <FormGroup label="User" fieldId="grant-user"><TextInput id="grant-user" value={grant.user} onChange={(_e, v) => setGrant({ ...grant, user: v })} /></FormGroup>
              <FormGroup label="VM" fieldId="grant-vm"><TextInput id="grant-vm" value={grant.vm} onChange={(_e, v) => setGrant({ ...grant, vm: v })} /></FormGroup>
              <FormGroup label="Role" fieldId="grant-role">
                <FormSelect id="grant-role" value={grant.role} onChange={(_e, v) => setGrant({ ...grant, role: v })}>{roles.map((r) => <FormSelectOption key={r} value={r} label={r} />)}</FormSelect>
              </FormGroup>
              <Button type="submit" isDisabled={!grant.user || !grant.vm}>Grant</Button>
            </Form>
            <Title headingLevel="h2" size="md" style={{ marginTop: 16 }}>New user</Title>
            <Form isHorizontal style={{ maxWidth: 560 }} onSubmit={(e) => { e.preventDefault(); void act("create the user", api("POST", "/api/v1/users", draft).then(() => setDraft({ username: "", password: "", role: "ReadOnly" }))); }}>
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
          <Table aria-label="API tokens" variant="compact">
            <Thead><Tr><Th>Id</Th><Th>Name</Th><Th>User</Th><Th>Role</Th><Th>Expires</Th><Th>Last used</Th><Th>Status</Th><Th screenReaderText="Actions" /></Tr></Thead>
            <Tbody>
              {tokens.map((t) => (
                <Tr key={t.id}>
                  <Td>{t.id}</Td><Td>{t.name}</Td><Td>{t.user}</Td><Td>{t.role}</Td>
                  <Td>{t.expiresAt ? new Date(t.expiresAt).toLocaleDateString() : "never"}</Td>
                  <Td>{t.lastUsedAt ? new Date(t.lastUsedAt).toLocaleString() : "-"}</Td>
                  <Td>{t.revoked ? "revoked" : "active"}</Td>
                  <Td>{t.revoked ? null : <Button variant="danger" size="sm" onClick={() => void act("revoke the token", api("DELETE", `/api/v1/tokens/${t.id}`))}>Revoke</Button>}</Td>
                </Tr>
              ))}
            </Tbody>
          </Table>
        </Tab>
        {can("audit.read") ? (
          <Tab eventKey="audit" title="Audit log">
            <TextInput aria-label="Filter the audit log by user" placeholder="user" value={auditUser} onChange={(_e, v) => setAuditUser(v)} style={{ maxWidth: 240, margin: "12px 0" }} />
            <Table aria-label="Audit log" variant="compact" data-testid="audit">
              <Thead><Tr><Th>Time</Th><Th>User</Th><Th>From</Th><Th>Action</Th><Th>Target</Th><Th>Result</Th></Tr></Thead>
              <Tbody>
                {audit.map((a) => (
                  <Tr key={a.id}><Td>{new Date(a.time).toLocaleString()}</Td><Td>{a.user}</Td><Td>{a.source}</Td><Td>{a.action}</Td><Td>{a.target ?? "-"}</Td><Td>{a.result} ({a.status})</Td></Tr>
                ))}
              </Tbody>
            </Table>
          </Tab>
        ) : null}
      </Tabs>
    </PageSection>
  );
}
