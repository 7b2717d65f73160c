// Placement rules in etcd (rules/<name>): affinity keeps its VMs on one host, anti-affinity on
// different hosts. Placement reads them on every decision; changing one moves no VM by itself.
import type { FastifyInstance, FastifyRequest } from "fastify";
import { VmctlError, ClusterRuleListSchema, ClusterRuleParamsSchema, ClusterRuleSchema, type ClusterRule } from "@vmctl/api-types";
import { keys, type RuleRecord } from "../cluster-keys.js";
import type { CenterContext } from "../center-context.js";
import { responses } from "../server/openapi.js";
import { principalOf } from "../server/role-hook.js";

const MAX_RULES = 1000;

export function registerRuleRoutes(app: FastifyInstance, ctx: CenterContext): void {
  app.get("/api/v1/cluster/rules", {
    config: { role: "ReadOnly" },
    schema: { summary: "The placement rules (affinity, anti-affinity)", response: responses({ 200: ClusterRuleListSchema }) },
  }, async () => (await ctx.store.list<RuleRecord>(keys.rules())).map((r) => r.value).sort((a, b) => a.name.localeCompare(b.name)));

  app.post("/api/v1/cluster/rules", {
    config: { role: "Admin" },
    schema: { summary: "Create or replace a placement rule by name (Admin); it applies to placements from now on", body: ClusterRuleSchema, response: responses({ 201: ClusterRuleSchema, 200: ClusterRuleSchema }) },
  }, async (request: FastifyRequest<{ Body: ClusterRule }>, reply) => {
    const rule: RuleRecord = { name: request.body.name, type: request.body.type, vms: [...new Set(request.body.vms)].sort() };
    if (rule.vms.length < 2) throw new VmctlError("bad_request", "vms: a rule needs at least two different VM names");
    const existing = await ctx.store.get<RuleRecord>(keys.rule(rule.name));
    if (!existing && (await ctx.store.list<RuleRecord>(keys.rules())).length >= MAX_RULES) throw new VmctlError("bad_request", `the cluster already has ${MAX_RULES} rules: delete one first`);
    await ctx.store.put(keys.rule(rule.name), rule);
    const user = principalOf(request).name;
    await ctx.events.emit("cluster.rule.changed", { target: `rule/${rule.name}`, user, message: `${rule.type} rule ${rule.name} (${rule.vms.join(", ")}) ${existing ? "replaced" : "created"} by ${user}`, data: { ...rule } });
    return reply.status(existing ? 200 : 201).send(rule);
  });

  app.delete("/api/v1/cluster/rules/:name", {
    config: { role: "Admin" },
    schema: { summary: "Delete a placement rule (Admin)", params: ClusterRuleParamsSchema, response: responses({ 200: ClusterRuleSchema }, 404) },
  }, async (request: FastifyRequest<{ Params: { name: string } }>) => {
    const existing = await ctx.store.get<RuleRecord>(keys.rule(request.params.name));
    if (!existing) throw new VmctlError("not_found", `no placement rule named "${request.params.name}"; GET /api/v1/cluster/rules lists them`, { rule: request.params.name });
    await ctx.store.delete(keys.rule(request.params.name));
    const user = principalOf(request).name;
    await ctx.events.emit("cluster.rule.changed", { target: `rule/${existing.value.name}`, user, message: `rule ${existing.value.name} deleted by ${user}`, data: { name: existing.value.name, deleted: true } });
    return existing.value;
  });
}
