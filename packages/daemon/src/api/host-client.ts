// The Host Client (packages/web, built at set-up) served at /ui; the root redirects there. Its files
// are public, like any login page's assets: the data behind them needs a login.
import type { FastifyInstance } from "fastify";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import fastifyStatic from "@fastify/static";

export const UI_DIR = fileURLToPath(new URL("../../../web/dist/", import.meta.url));

export async function registerHostClient(app: FastifyInstance): Promise<void> {
  app.get("/", { schema: { hide: true } }, async (_request, reply) => reply.redirect("/ui/"));
  if (!existsSync(UI_DIR)) {
    app.get("/ui/*", { schema: { hide: true } }, async (_request, reply) => reply.status(503).type("text/plain").send("The Host Client is not built: run `npm run build` (npm start does it).\n"));
    app.get("/ui/vms/*", { schema: { hide: true } }, async (_request, reply) => reply.status(503).type("text/plain").send("The Host Client is not built.\n"));
    return;
  }
  await app.register(fastifyStatic, { root: UI_DIR, prefix: "/ui/", index: "index.html", schemaHide: true, cacheControl: true, maxAge: "1h" });
  // Deep links (/ui/vms/web01/console) are pages of the single-page app.
  app.get("/ui/vms/*", { schema: { hide: true } }, async (_request, reply) => reply.sendFile("index.html"));
}
