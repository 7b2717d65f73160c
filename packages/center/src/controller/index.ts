// The controller part of vmcenter: the cluster API routes (hosts, VMs, placement, create, migrate,
// maintenance, rules), the cluster task runners behind them, and the leader-only watchers (HA, stale
// migration marks). registerClusterRoutes is called by main.ts after the core and the join route.
import type { FastifyInstance } from "fastify";
import type { CenterContext } from "../center-context.js";
import { registerClusterRoutes as registerRoutes } from "./cluster-routes.js";
import { registerRuleRoutes } from "./rule-routes.js";
import { runCreate } from "./create-task.js";
import { runMigrate } from "./migrate-task.js";
import { runMaintenance } from "./maintenance-task.js";
import { createHaController } from "./ha-controller.js";
import { sweepStaleMigrations } from "./migration-sweeper.js";

const STALE_SWEEP_MS = 5_000;

export async function registerClusterRoutes(app: FastifyInstance, ctx: CenterContext): Promise<void> {
  // Runners first: a new leader may resume a task of these ops as soon as it leads.
  ctx.tasks.define("cluster.create", (tctx, params) => runCreate(ctx, tctx, params));
  ctx.tasks.define("cluster.migrate", (tctx, params) => runMigrate(ctx, tctx, params));
  ctx.tasks.define("cluster.maintenance", (tctx, params) => runMaintenance(ctx, tctx, params));
  const ha = createHaController(ctx);

  registerRoutes(app, ctx);
  registerRuleRoutes(app, ctx);

  const stale = setInterval(() => {
    if (ctx.isLeader()) sweepStaleMigrations(ctx).catch((error: unknown) => ctx.logger.debug({ err: error }, "sweeping stale migration marks failed"));
  }, STALE_SWEEP_MS);
  stale.unref();
  await ha.start();
  app.addHook("onClose", async () => {
    clearInterval(stale);
    await ha.stop();
  });
}
