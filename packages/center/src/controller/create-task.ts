// cluster.create: place a new VM (its memory, CPUs, datastore, networks, tags and rules against
// every host), create it on the chosen host as the asking user, and write its desired record.
// Resumable: a new leader that finds the VM already made by this task on its host only finishes the record.
import { VmctlError, type VmDetail } from "@vmctl/api-types";
import type { VmctlClient } from "@vmctl/client";
import type { CenterContext, ClusterPrincipal, ClusterTaskContext } from "../center-context.js";
import { hostLabel, nameTaken, placementHosts, placementOptions, reserve, snapshot, writeDesired } from "./cluster-state.js";
import { isTask, followHostTask } from "./host-tasks.js";
import { place } from "./placement.js";
import { documentOf, readVmRequest, type CreateBody } from "./vm-request.js";

export interface CreateParams { body: CreateBody; datastore: string | null; user: ClusterPrincipal }

const MARK = "creating on host ";

export function createParams(params: Record<string, unknown>): CreateParams {
  const p = params as Partial<CreateParams>;
  if (!p.body || typeof p.body.text !== "string" || !p.user) throw new VmctlError("internal", "cluster.create task without its body or user");
  return { body: p.body, datastore: typeof p.datastore === "string" ? p.datastore : null, user: p.user };
}

async function createOnHost(client: VmctlClient, body: CreateBody, datastore: string | null, tctx: ClusterTaskContext): Promise<VmDetail> {
  const answer: unknown = body.type === "application/toml"
    ? await client.createVmFromToml(body.text, datastore ?? undefined)
    : await client.createVm(JSON.parse(body.text), datastore ?? undefined);
  if (isTask(answer)) {
    const done = await followHostTask(client, answer, tctx, { from: 20, to: 90 });
    const name = (done.target ?? "").replace(/^vm\//, "");
    return client.getVm(name);
  }
  return answer as VmDetail;
}

export async function runCreate(ctx: CenterContext, tctx: ClusterTaskContext, raw: Record<string, unknown>): Promise<Record<string, unknown>> {
  const { body, datastore, user } = createParams(raw);
  const request = readVmRequest(documentOf(body), datastore);
  const state = await snapshot(ctx);
  const previous = (await ctx.tasks.get(tctx.id))?.log ?? [];
  const resumedOn = previous.map((line) => /creating on host \S+ \(([^)]+)\)/.exec(line)?.[1]).find(Boolean);
  const taken = nameTaken(state, request.name);
  if (taken && !(resumedOn && taken.host === resumedOn)) {
    throw new VmctlError("vm_exists", `a VM named "${request.name}" already exists in the cluster (on host ${taken.host}); VM names are unique across hosts: choose another`, { vm: request.name, host: taken.host });
  }

  let hostId = resumedOn ?? null;
  let reasons: string[] = [];
  if (!hostId) {
    const placement = place(request, placementHosts(state), placementOptions(state));
    reasons = placement.reasons;
    tctx.log(`placing ${request.name} (${request.cpus} CPU, ${Math.round(request.memoryBytes / 2 ** 20)} MiB${request.datastore ? `, datastore ${request.datastore}` : ""}${request.hostTags.length ? `, host_tags ${request.hostTags.join(",")}` : ""}):`);
    for (const line of reasons) tctx.log(`  ${line}`);
    if (!placement.chosen) {
      throw new VmctlError("no_host_available", `no host can take ${request.name}: ${reasons.join("; ") || "no host is joined"}`, { reasons });
    }
    hostId = placement.chosen.id;
  } else {
    tctx.log(`resuming: ${request.name} was being created on host ${hostId}`);
  }
  const host = state.hosts.find((h) => h.meta.id === hostId);
  if (!host) throw new VmctlError("host_not_found", `host ${hostId} left the cluster while ${request.name} was placed on it`);
  const release = reserve(host.meta.id, request.memoryBytes);
  try {
    tctx.progress(10);
    const client = await ctx.hosts.client(host.meta.id, user);
    let detail: VmDetail;
    if (taken) {
      detail = await client.getVm(request.name);
    } else {
      tctx.log(`${MARK}${host.meta.name} (${host.meta.id}) as ${user.name}`);
      detail = await createOnHost(client, body, datastore, tctx);
    }
    if (!detail.uuid) throw new VmctlError("internal", `host ${hostLabel(host)} created ${request.name} without a uuid`);
    const shared = host.live?.datastores.find((d) => d.name === detail.datastore)?.shared ?? false;
    if (request.ha && !shared) tctx.log(`warning: ${request.name} has [policy] ha = true but datastore ${detail.datastore} is not shared: HA cannot restart it elsewhere`);
    await writeDesired(ctx, detail.uuid, (current) => ({
      uuid: detail.uuid!, name: detail.name, host: host.meta.id, power: current?.power ?? null, ha: request.ha, datastore: detail.datastore, shared,
      memoryBytes: detail.memoryBytes, cpus: detail.cpus, reason: `created by ${user.name} (task ${tctx.id})`, migration: null,
    }));
    tctx.progress(100);
    tctx.log(`created ${detail.name} (${detail.uuid}) on ${hostLabel(host)}`);
    await ctx.events.emit("cluster.vm.placed", {
      target: `vm/${detail.name}`, targetUuid: detail.uuid, user: user.name, task: tctx.id,
      message: `${detail.name} placed on ${host.meta.name}`, data: { host: host.meta.id, hostName: host.meta.name, reasons },
    });
    return { host: host.meta.id, hostName: host.meta.name, reasons, vm: detail.name, uuid: detail.uuid };
  } finally {
    release();
  }
}
