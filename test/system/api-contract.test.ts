// Every route of the OpenAPI document is exercised, success and error cases, and each answer must
// match the schema the document gives for its status: the document cannot drift from the API.
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import Ajv from "ajv";
import { connect } from "node:net";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { untypedPlaces, ALLOWED_UNTYPED } from "@vmctl/api-types";
import { TestHost, guestDefinition, announceOversizedBody, ADMIN_PASSWORD } from "./harness.js";

let host: TestHost;
beforeAll(async () => { host = await TestHost.start(); });
afterAll(async () => { await host?.close(); });

type Media = Record<string, { schema: object }>;
interface Operation { parameters?: Array<{ in: string; name: string; schema: object }>; requestBody?: { content?: Media }; responses: Record<string, { content?: Media }> }

/** Every place of the document that accepts any value, but the allow-list of @vmctl/api-types (schema-audit.ts). */
function untypedInDocument(doc: { paths: Record<string, Record<string, Operation>>; components?: { schemas?: Record<string, object> } }): string[] {
  const places: string[] = [];
  const add = (where: string, schema: unknown) => places.push(...untypedPlaces(schema).map((place) => `${where}: ${place}`));
  for (const [path, methods] of Object.entries(doc.paths)) {
    for (const [method, operation] of Object.entries(methods)) {
      const at = `${method.toUpperCase()} ${path}`;
      for (const parameter of operation.parameters ?? []) add(`${at} ${parameter.in} ${parameter.name}`, parameter.schema);
      for (const [type, media] of Object.entries(operation.requestBody?.content ?? {})) add(`${at} body ${type}`, media.schema);
      for (const [status, answer] of Object.entries(operation.responses)) for (const [type, media] of Object.entries(answer.content ?? {})) add(`${at} ${status} ${type}`, media.schema);
    }
  }
  for (const [name, schema] of Object.entries(doc.components?.schemas ?? {})) add(`components ${name}`, schema);
  return places.filter((place) => !ALLOWED_UNTYPED.some((allowed) => allowed.test(place)));
}
interface Case { method: string; path: string; route: string; status: number; body?: { type: string; text: string }; headers?: Record<string, string> }

const json = (value: unknown) => ({ type: "application/json", text: JSON.stringify(value) });

describe("OpenAPI contract", () => {
  it("every documented route answers as documented, errors included", async () => {
    const doc = JSON.parse((await host.client.raw("GET", "/api/v1/openapi.json")).text) as { openapi: string; paths: Record<string, Record<string, Operation>>; components?: { schemas?: Record<string, object> } };
    expect(doc.openapi).toMatch(/^3\./);
    // The document says what every request and answer is: an untyped place could drift unseen.
    expect(untypedInDocument(doc)).toEqual([]);
    const docs = await host.client.raw("GET", "/api/docs/");
    expect(docs.status).toBe(200);
    expect(docs.text).toContain("swagger");

    await host.client.createVm(guestDefinition("c1"));
    await host.client.createVm(guestDefinition("c2"));
    const etag = (await host.client.getVm("c1")).etag;
    const c2 = await host.client.getDefinition("c2");
    await host.client.createVm(guestDefinition("c7", { disks: { disk0: { file: "c7/disk0.qcow2", size: "16MiB" } } }));
    const done = await host.client.waitTask((await host.client.power("c2", { action: "start" })).id);
    await host.client.waitTask((await host.client.power("c2", { action: "stop", force: true })).id);

    const extraDatastore = mkdtempSync(join(tmpdir(), "vmctl-contract-ds-"));
    const files = "/api/v1/datastores/local/files";
    const filesRoute = "/api/v1/datastores/{ds}/files/{*}";
    const bytes = (text: string) => ({ type: "application/octet-stream", text });
    const cases: Case[] = [
      { method: "GET", path: "/healthz", route: "/healthz", status: 200 },
      { method: "GET", path: "/api/v1/host", route: "/api/v1/host", status: 200 },
      { method: "GET", path: "/api/v1/datastores", route: "/api/v1/datastores", status: 200 },
      { method: "POST", path: "/api/v1/datastores", route: "/api/v1/datastores", status: 201, body: json({ name: "contract", path: extraDatastore }) },
      { method: "POST", path: "/api/v1/datastores", route: "/api/v1/datastores", status: 409, body: json({ name: "contract", path: `${extraDatastore}-2` }) },
      { method: "POST", path: "/api/v1/datastores", route: "/api/v1/datastores", status: 400, body: json({ name: "rel", path: "relative/dir" }) },
      { method: "PUT", path: `${files}/contract/a.bin`, route: filesRoute, status: 201, body: bytes("hello world") },
      { method: "PUT", path: `${files}/contract/a.bin`, route: filesRoute, status: 409, body: bytes("hello again") },
      { method: "PUT", path: `${files}/contract/b.bin`, route: filesRoute, status: 200, body: bytes("hello"), headers: { "content-range": "bytes 0-4/10" } },
      { method: "PUT", path: `${files}/contract/c.bin`, route: filesRoute, status: 413, body: bytes("hello"), headers: { "content-range": "bytes 0-4/999999999999999" } },
      { method: "PUT", path: "/api/v1/datastores/ghost/files/a.bin", route: filesRoute, status: 404, body: bytes("x") },
      { method: "GET", path: "/api/v1/datastores/local/files", route: "/api/v1/datastores/{ds}/files", status: 200 },
      { method: "GET", path: "/api/v1/datastores/ghost/files", route: "/api/v1/datastores/{ds}/files", status: 404 },
      { method: "GET", path: `${files}/contract`, route: filesRoute, status: 200 },
      { method: "GET", path: `${files}/contract/b.bin?upload=status`, route: filesRoute, status: 200 },
      { method: "GET", path: `${files}/contract/a.bin`, route: filesRoute, status: 206, headers: { range: "bytes=0-4" } },
      { method: "GET", path: `${files}/contract/a.bin`, route: filesRoute, status: 416, headers: { range: "bytes=100-" } },
      { method: "GET", path: `${files}/%2e%2e/x`, route: filesRoute, status: 400 },
      { method: "GET", path: `${files}/contract/none`, route: filesRoute, status: 404 },
      { method: "POST", path: `${files}/contract/d?mkdir`, route: filesRoute, status: 201 },
      { method: "POST", path: `${files}/contract/d?mkdir`, route: filesRoute, status: 409 },
      { method: "POST", path: `${files}/contract/e`, route: filesRoute, status: 400 },
      { method: "DELETE", path: `${files}/contract/d`, route: filesRoute, status: 200 },
      { method: "DELETE", path: `${files}/contract/none`, route: filesRoute, status: 404 },
      { method: "DELETE", path: `${files}/c1`, route: filesRoute, status: 409 },
      { method: "DELETE", path: "/api/v1/datastores/contract", route: "/api/v1/datastores/{ds}", status: 200 },
      { method: "DELETE", path: "/api/v1/datastores/local", route: "/api/v1/datastores/{ds}", status: 409 },
      { method: "DELETE", path: "/api/v1/datastores/ghost", route: "/api/v1/datastores/{ds}", status: 404 },
      { method: "GET", path: "/api/v1/isos", route: "/api/v1/isos", status: 200 },
      // Networks of kind user: the contract runs in the machine's own namespace, where no bridge may be made.
      { method: "GET", path: "/api/v1/networks", route: "/api/v1/networks", status: 200 },
      { method: "POST", path: "/api/v1/networks", route: "/api/v1/networks", status: 201, body: json({ name: "contract-net", kind: "user" }) },
      { method: "POST", path: "/api/v1/networks", route: "/api/v1/networks", status: 409, body: json({ name: "contract-net", kind: "user" }) },
      { method: "POST", path: "/api/v1/networks", route: "/api/v1/networks", status: 400, body: json({ name: "odd", kind: "user", subnet: "10.1.0.0/24" }) },
      { method: "GET", path: "/api/v1/networks/contract-net", route: "/api/v1/networks/{network}", status: 200 },
      { method: "GET", path: "/api/v1/networks/ghost", route: "/api/v1/networks/{network}", status: 404 },
      { method: "PATCH", path: "/api/v1/networks/contract-net", route: "/api/v1/networks/{network}", status: 200, body: json({}) },
      { method: "PATCH", path: "/api/v1/networks/default", route: "/api/v1/networks/{network}", status: 409, body: json({}) },
      { method: "PATCH", path: "/api/v1/networks/ghost", route: "/api/v1/networks/{network}", status: 404, body: json({}) },
      { method: "DELETE", path: "/api/v1/networks/contract-net", route: "/api/v1/networks/{network}", status: 200 },
      // Port forwards: c1's NIC is on the user-mode default network here, so an add is refused (400 naming nics).
      { method: "GET", path: "/api/v1/vms/c1/port-forwards", route: "/api/v1/vms/{name}/port-forwards", status: 200 },
      { method: "GET", path: "/api/v1/vms/ghost/port-forwards", route: "/api/v1/vms/{name}/port-forwards", status: 404 },
      { method: "POST", path: "/api/v1/vms/c1/port-forwards", route: "/api/v1/vms/{name}/port-forwards", status: 400, body: json({ hostPort: 18555, guestPort: 22 }) },
      { method: "POST", path: "/api/v1/vms/ghost/port-forwards", route: "/api/v1/vms/{name}/port-forwards", status: 404, body: json({ hostPort: 18555, guestPort: 22 }) },
      { method: "DELETE", path: "/api/v1/vms/c1/port-forwards/pf-00000000", route: "/api/v1/vms/{name}/port-forwards/{id}", status: 404 },
      { method: "DELETE", path: "/api/v1/networks/default", route: "/api/v1/networks/{network}", status: 409 },
      { method: "DELETE", path: "/api/v1/networks/ghost", route: "/api/v1/networks/{network}", status: 404 },
      { method: "GET", path: "/api/v1/vms?sort=-name&limit=1", route: "/api/v1/vms", status: 200 },
      { method: "GET", path: "/api/v1/vms?state=sleepy", route: "/api/v1/vms", status: 400 },
      { method: "POST", path: "/api/v1/vms", route: "/api/v1/vms", status: 201, body: json(guestDefinition("c3")) },
      { method: "POST", path: "/api/v1/vms", route: "/api/v1/vms", status: 201, body: { type: "application/toml", text: 'name = "c4"\nmemory = "64MiB"\n' } },
      { method: "POST", path: "/api/v1/vms", route: "/api/v1/vms", status: 400, body: json({ name: "c5", memory: -1 }) },
      { method: "POST", path: "/api/v1/vms", route: "/api/v1/vms", status: 409, body: json(guestDefinition("c1")) },
      { method: "POST", path: "/api/v1/vms", route: "/api/v1/vms", status: 415, body: { type: "application/xml", text: "<vm/>" } },
      { method: "POST", path: "/api/v1/vms?datastore=nope", route: "/api/v1/vms", status: 404, body: json({ name: "c6" }) },
      { method: "GET", path: "/api/v1/vms/c1", route: "/api/v1/vms/{name}", status: 200 },
      { method: "GET", path: "/api/v1/vms/ghost", route: "/api/v1/vms/{name}", status: 404 },
      { method: "GET", path: "/api/v1/vms/..%2Fetc", route: "/api/v1/vms/{name}", status: 400 },
      { method: "PATCH", path: "/api/v1/vms/c1", route: "/api/v1/vms/{name}", status: 200, body: json({ cpus: 2 }), headers: { "if-match": etag } },
      { method: "PATCH", path: "/api/v1/vms/c1", route: "/api/v1/vms/{name}", status: 412, body: json({ cpus: 3 }), headers: { "if-match": etag } },
      { method: "PATCH", path: "/api/v1/vms/ghost", route: "/api/v1/vms/{name}", status: 404, body: json({ cpus: 3 }) },
      { method: "PUT", path: "/api/v1/vms/c3", route: "/api/v1/vms/{name}", status: 200, body: json(guestDefinition("c3", { cpus: 2 })) },
      { method: "PUT", path: "/api/v1/vms/c3", route: "/api/v1/vms/{name}", status: 400, body: json({ name: "c3", cpus: "many" }) },
      { method: "GET", path: "/api/v1/vms/c2/definition", route: "/api/v1/vms/{name}/definition", status: 200 },
      { method: "GET", path: "/api/v1/vms/ghost/definition", route: "/api/v1/vms/{name}/definition", status: 404 },
      { method: "PUT", path: "/api/v1/vms/c2/definition", route: "/api/v1/vms/{name}/definition", status: 200, body: { type: "application/toml", text: c2.text }, headers: { "if-match": c2.etag } },
      { method: "PUT", path: "/api/v1/vms/c2/definition", route: "/api/v1/vms/{name}/definition", status: 415, body: json({ name: "c2" }) },
      { method: "PUT", path: "/api/v1/vms/c2/definition", route: "/api/v1/vms/{name}/definition", status: 400, body: { type: "application/toml", text: "name = " } },
      { method: "POST", path: "/api/v1/vms/c4/power", route: "/api/v1/vms/{name}/power", status: 409, body: json({ action: "pause" }) },
      { method: "POST", path: "/api/v1/vms/c4/power", route: "/api/v1/vms/{name}/power", status: 400, body: json({ action: "explode" }) },
      { method: "POST", path: "/api/v1/vms/ghost/power", route: "/api/v1/vms/{name}/power", status: 404, body: json({ action: "start" }) },
      // Migration (vmcenter drives it; test/system/vm-migration.test.ts moves VMs between two hosts): refusals on one host.
      { method: "POST", path: "/api/v1/vms/c4/migrate-out", route: "/api/v1/vms/{name}/migrate-out", status: 409, body: json({ uri: "tcp:127.0.0.1:1", targetHost: "elsewhere" }) },
      { method: "POST", path: "/api/v1/vms/c4/migrate-out", route: "/api/v1/vms/{name}/migrate-out", status: 400, body: json({ uri: "exec:true", targetHost: "elsewhere" }) },
      { method: "POST", path: "/api/v1/vms/ghost/migrate-out", route: "/api/v1/vms/{name}/migrate-out", status: 404, body: json({ uri: "tcp:127.0.0.1:1", targetHost: "elsewhere" }) },
      { method: "POST", path: "/api/v1/migrations/incoming", route: "/api/v1/migrations/incoming", status: 409, body: json({ name: "moved", uuid: "00000000-0000-4000-8000-000000000000", datastore: "local" }) },
      { method: "POST", path: "/api/v1/migrations/incoming", route: "/api/v1/migrations/incoming", status: 404, body: json({ name: "moved", uuid: "00000000-0000-4000-8000-000000000000", datastore: "ghost" }) },
      { method: "GET", path: "/api/v1/migrations/ghost", route: "/api/v1/migrations/{id}", status: 404 },
      { method: "DELETE", path: "/api/v1/migrations/ghost", route: "/api/v1/migrations/{id}", status: 404 },
      { method: "POST", path: "/api/v1/migrations/register", route: "/api/v1/migrations/register", status: 400, body: json({ definition: 'name = "moved"', datastore: "local" }) },
      { method: "PUT", path: "/api/v1/vms/c2/state", route: "/api/v1/vms/{name}/state", status: 200, body: json({ state: "stopped" }) },
      { method: "PUT", path: "/api/v1/vms/c2/state", route: "/api/v1/vms/{name}/state", status: 400, body: json({ state: "paused" }) },
      { method: "PUT", path: "/api/v1/vms/ghost/state", route: "/api/v1/vms/{name}/state", status: 404, body: json({ state: "running" }) },
      { method: "POST", path: "/api/v1/vms:batch", route: "/api/v1/vms:batch", status: 404, body: json({ action: "start", pattern: "zz-*" }) },
      { method: "POST", path: "/api/v1/vms:batch", route: "/api/v1/vms:batch", status: 400, body: json({ action: "start" }) },
      { method: "POST", path: "/api/v1/vms:batch", route: "/api/v1/vms:batch", status: 202, body: json({ action: "stop", pattern: "c*" }) },
      { method: "GET", path: "/api/v1/vms/c1/screenshot", route: "/api/v1/vms/{name}/screenshot", status: 409 },
      { method: "GET", path: "/api/v1/vms/ghost/screenshot", route: "/api/v1/vms/{name}/screenshot", status: 404 },
      { method: "POST", path: "/api/v1/vms/c1/sendkey", route: "/api/v1/vms/{name}/sendkey", status: 409, body: json({ keys: ["ctrl", "alt", "delete"] }) },
      { method: "POST", path: "/api/v1/vms/c1/sendkey", route: "/api/v1/vms/{name}/sendkey", status: 400, body: json({}) },
      { method: "POST", path: "/api/v1/vms/ghost/sendkey", route: "/api/v1/vms/{name}/sendkey", status: 404, body: json({ text: "hi" }) },
      { method: "POST", path: "/api/v1/vms/c1/guest/password", route: "/api/v1/vms/{name}/guest/password", status: 409, body: json({ user: "root", password: "contract-pw" }) },
      { method: "POST", path: "/api/v1/vms/c1/guest/password", route: "/api/v1/vms/{name}/guest/password", status: 400, body: json({ user: "root" }) },
      { method: "POST", path: "/api/v1/vms/ghost/guest/password", route: "/api/v1/vms/{name}/guest/password", status: 404, body: json({ user: "root", password: "contract-pw" }) },
      { method: "GET", path: "/api/v1/tasks?limit=5", route: "/api/v1/tasks", status: 200 },
      { method: "GET", path: `/api/v1/tasks/${done.id}?wait=1`, route: "/api/v1/tasks/{id}", status: 200 },
      { method: "GET", path: "/api/v1/tasks/nope", route: "/api/v1/tasks/{id}", status: 404 },
      { method: "DELETE", path: `/api/v1/tasks/${done.id}`, route: "/api/v1/tasks/{id}", status: 409 },
      { method: "DELETE", path: "/api/v1/tasks/nope", route: "/api/v1/tasks/{id}", status: 404 },
      { method: "GET", path: "/api/v1/events?since=0&limit=10", route: "/api/v1/events", status: 200 },
      { method: "GET", path: "/api/v1/events?since=-1", route: "/api/v1/events", status: 400 },
      { method: "POST", path: "/api/v1/login", route: "/api/v1/login", status: 200, body: json({ username: "admin", password: ADMIN_PASSWORD }) },
      { method: "POST", path: "/api/v1/login", route: "/api/v1/login", status: 401, body: json({ username: "admin", password: "wrong-password" }) },
      { method: "POST", path: "/api/v1/login", route: "/api/v1/login", status: 400, body: json({ username: "admin" }) },
      { method: "POST", path: "/api/v1/logout", route: "/api/v1/logout", status: 200 },
      { method: "GET", path: "/api/v1/me", route: "/api/v1/me", status: 200 },
      { method: "POST", path: "/api/v1/users", route: "/api/v1/users", status: 201, body: json({ username: "carol", password: "carol-password", role: "Operator" }) },
      { method: "POST", path: "/api/v1/users", route: "/api/v1/users", status: 409, body: json({ username: "carol", password: "carol-password", role: "Operator" }) },
      { method: "POST", path: "/api/v1/users", route: "/api/v1/users", status: 400, body: json({ username: "dave", password: "short", role: "Operator" }) },
      { method: "GET", path: "/api/v1/users", route: "/api/v1/users", status: 200 },
      { method: "PATCH", path: "/api/v1/users/carol", route: "/api/v1/users/{user}", status: 200, body: json({ role: "ReadOnly" }) },
      { method: "PATCH", path: "/api/v1/users/ghost", route: "/api/v1/users/{user}", status: 404, body: json({ disabled: true }) },
      { method: "PUT", path: "/api/v1/users/carol/grants/c1", route: "/api/v1/users/{user}/grants/{vm}", status: 200, body: json({ role: "Operator" }) },
      { method: "PUT", path: "/api/v1/users/carol/grants/c1", route: "/api/v1/users/{user}/grants/{vm}", status: 400, body: json({ role: "Emperor" }) },
      { method: "DELETE", path: "/api/v1/users/carol/grants/c1", route: "/api/v1/users/{user}/grants/{vm}", status: 200 },
      { method: "GET", path: "/api/v1/roles", route: "/api/v1/roles", status: 200 },
      { method: "POST", path: "/api/v1/roles", route: "/api/v1/roles", status: 200, body: json({ name: "Watcher", privileges: ["vm.read", "vm.console.view"] }) },
      { method: "POST", path: "/api/v1/roles", route: "/api/v1/roles", status: 400, body: json({ name: "Bad", privileges: ["vm.everything"] }) },
      { method: "POST", path: "/api/v1/tokens", route: "/api/v1/tokens", status: 201, body: json({ name: "ci", role: "Operator", expires: null, user: "carol" }) },
      { method: "POST", path: "/api/v1/tokens", route: "/api/v1/tokens", status: 400, body: json({ name: "old", role: "Operator", expires: "2001-01-01T00:00:00Z" }) },
      { method: "GET", path: "/api/v1/tokens", route: "/api/v1/tokens", status: 200 },
      { method: "DELETE", path: "/api/v1/tokens/ffffffff", route: "/api/v1/tokens/{id}", status: 404 },
      { method: "POST", path: "/api/v1/vms/c1/console", route: "/api/v1/vms/{name}/console", status: 400, body: json({}) },
      { method: "POST", path: "/api/v1/vms/ghost/console", route: "/api/v1/vms/{name}/console", status: 404, body: json({}) },
      { method: "GET", path: "/api/v1/audit?limit=5", route: "/api/v1/audit", status: 200 },
      { method: "GET", path: "/api/v1/vms/c7/disks", route: "/api/v1/vms/{name}/disks", status: 200 },
      { method: "POST", path: "/api/v1/vms/c7/disks", route: "/api/v1/vms/{name}/disks", status: 201, body: json({ size: "8MiB" }) },
      { method: "POST", path: "/api/v1/vms/c7/disks", route: "/api/v1/vms/{name}/disks", status: 400, body: json({ size: "8 apples" }) },
      { method: "DELETE", path: "/api/v1/vms/c7/disks/disk1?delete=true", route: "/api/v1/vms/{name}/disks/{id}", status: 200 },
      { method: "DELETE", path: "/api/v1/vms/c7/disks/nope", route: "/api/v1/vms/{name}/disks/{id}", status: 404 },
      { method: "POST", path: "/api/v1/vms/c7/disks/disk0/resize", route: "/api/v1/vms/{name}/disks/{id}/resize", status: 200, body: json({ size: "32MiB" }) },
      { method: "POST", path: "/api/v1/vms/c7/disks/disk0/resize", route: "/api/v1/vms/{name}/disks/{id}/resize", status: 400, body: json({ size: "8MiB" }) },
      { method: "GET", path: "/api/v1/vms/c7/nics", route: "/api/v1/vms/{name}/nics", status: 200 },
      { method: "POST", path: "/api/v1/vms/c7/nics", route: "/api/v1/vms/{name}/nics", status: 201, body: json({ network: "default", id: "lan0" }) },
      { method: "POST", path: "/api/v1/vms/c7/nics", route: "/api/v1/vms/{name}/nics", status: 400, body: json({ network: "nowhere" }) },
      { method: "PUT", path: "/api/v1/vms/c7/nics/lan0/link", route: "/api/v1/vms/{name}/nics/{id}/link", status: 200, body: json({ link: "down" }) },
      { method: "PUT", path: "/api/v1/vms/c7/nics/nope/link", route: "/api/v1/vms/{name}/nics/{id}/link", status: 404, body: json({ link: "up" }) },
      { method: "DELETE", path: "/api/v1/vms/c7/nics/lan0", route: "/api/v1/vms/{name}/nics/{id}", status: 200 },
      { method: "DELETE", path: "/api/v1/vms/c7/nics/nope", route: "/api/v1/vms/{name}/nics/{id}", status: 404 },
      { method: "POST", path: "/api/v1/vms/c7/cdroms", route: "/api/v1/vms/{name}/cdroms", status: 201, body: json({ bus: "scsi" }) },
      { method: "PUT", path: "/api/v1/vms/c7/cdroms/cdrom0/media", route: "/api/v1/vms/{name}/cdroms/{id}/media", status: 200, body: json({ iso: null }) },
      { method: "PUT", path: "/api/v1/vms/c7/cdroms/cdrom0/media", route: "/api/v1/vms/{name}/cdroms/{id}/media", status: 400, body: json({ iso: "iso/missing.iso" }) },
      { method: "PUT", path: "/api/v1/vms/c7/cdroms/nope/media", route: "/api/v1/vms/{name}/cdroms/{id}/media", status: 404, body: json({ iso: null }) },
      { method: "GET", path: "/api/v1/vms/c7/snapshots", route: "/api/v1/vms/{name}/snapshots", status: 200 },
      { method: "POST", path: "/api/v1/vms/c7/snapshots", route: "/api/v1/vms/{name}/snapshots", status: 202, body: json({ name: "s1", description: "first" }) },
      { method: "POST", path: "/api/v1/vms/c7/snapshots", route: "/api/v1/vms/{name}/snapshots", status: 400, body: json({ name: "123" }) },
      { method: "POST", path: "/api/v1/vms/c1/snapshots", route: "/api/v1/vms/{name}/snapshots", status: 409, body: json({ name: "s1" }) },
      { method: "POST", path: "/api/v1/vms/c7/snapshots/nope/revert", route: "/api/v1/vms/{name}/snapshots/{snap}/revert", status: 404 },
      { method: "DELETE", path: "/api/v1/vms/c7/snapshots/nope", route: "/api/v1/vms/{name}/snapshots/{snap}", status: 404 },
      { method: "POST", path: "/api/v1/vms/c1/template", route: "/api/v1/vms/{name}/template", status: 200 },
      { method: "DELETE", path: "/api/v1/vms/c1/template", route: "/api/v1/vms/{name}/template", status: 200 },
      { method: "POST", path: "/api/v1/vms/c1/clone", route: "/api/v1/vms/{name}/clone", status: 202, body: json({ name: "c9" }) },
      { method: "POST", path: "/api/v1/vms/c2/clone", route: "/api/v1/vms/{name}/clone", status: 409, body: json({ name: "c10", linked: true }) },
      { method: "POST", path: "/api/v1/vms/c2/clone", route: "/api/v1/vms/{name}/clone", status: 400, body: json({ name: "../x" }) },
      { method: "POST", path: "/api/v1/import", route: "/api/v1/import", status: 400, body: json({ datastore: "local", path: "missing.ova" }) },
      { method: "POST", path: "/api/v1/import", route: "/api/v1/import", status: 400, body: json({ path: "x.ova" }) },
      { method: "POST", path: "/api/v1/import", route: "/api/v1/import", status: 404, body: json({ datastore: "nope", path: "x.ova" }) },
      { method: "GET", path: "/api/v1/vms/ghost/export", route: "/api/v1/vms/{name}/export", status: 404 },
      { method: "POST", path: "/api/v1/vms/c4/rename", route: "/api/v1/vms/{name}/rename", status: 200, body: json({ name: "c4r" }) },
      { method: "POST", path: "/api/v1/vms/c4r/rename", route: "/api/v1/vms/{name}/rename", status: 200, body: json({ name: "c4" }) },
      { method: "POST", path: "/api/v1/vms/c4/rename", route: "/api/v1/vms/{name}/rename", status: 409, body: json({ name: "c1" }) },
      { method: "POST", path: "/api/v1/vms/c4/rename", route: "/api/v1/vms/{name}/rename", status: 400, body: json({ name: "../x" }) },
      { method: "POST", path: "/api/v1/vms/ghost/rename", route: "/api/v1/vms/{name}/rename", status: 404, body: json({ name: "ghost2" }) },
      { method: "DELETE", path: "/api/v1/vms/c4?keepDisks=true", route: "/api/v1/vms/{name}", status: 200 },
      { method: "DELETE", path: "/api/v1/vms/ghost", route: "/api/v1/vms/{name}", status: 404 },
    ];

    const ajv = new Ajv({ strict: false, allErrors: true });
    const problems: string[] = [];
    let validated = 0;
    for (const c of cases) {
      const operation = doc.paths[c.route]?.[c.method.toLowerCase()];
      if (!operation) { problems.push(`${c.method} ${c.route} is not in the document`); continue; }
      const response = await host.client.raw(c.method, c.path, c.body, c.headers);
      if (response.status !== c.status) { problems.push(`${c.method} ${c.path}: status ${response.status}, expected ${c.status}: ${response.text.slice(0, 200)}`); continue; }
      const documented = operation.responses[String(c.status)];
      if (!documented) { problems.push(`${c.method} ${c.route}: status ${c.status} is not documented`); continue; }
      const media = documented.content?.["application/json"];
      if (!media) continue; // the TOML definition is text
      const validate = ajv.compile(media.schema);
      validated++;
      if (!validate(JSON.parse(response.text))) problems.push(`${c.method} ${c.path} ${c.status}: ${ajv.errorsText(validate.errors)}`);
    }
    // An oversized body is refused on its Content-Length, with a documented 413.
    const oversized = await announceOversizedBody(connect(`${host.home}/vmctld.sock`), "/api/v1/vms", 2 * 1024 * 1024);
    expect(oversized.status).toBe(413);
    expect(doc.paths["/api/v1/vms"]!.post!.responses["413"]).toBeDefined();
    expect(JSON.parse(oversized.body).error.code).toBe("payload_too_large");
    const covered = new Set(cases.map((c) => `${c.method} ${c.route}`));
    for (const [path, methods] of Object.entries(doc.paths)) {
      for (const method of Object.keys(methods)) if (!covered.has(`${method.toUpperCase()} ${path}`)) problems.push(`${method.toUpperCase()} ${path} has no contract case`);
    }
    expect(problems).toEqual([]);
    expect(validated).toBe(cases.length - 2); // all but the TOML text answer and the 206 bytes were checked against a schema
    rmSync(extraDatastore, { recursive: true, force: true });
  });
});
