// The Host Client (packages/web, built at set-up) served at /ui/ by vmcenter as by vmctld: in cluster
// mode it finds GET /api/v1/cluster. The root and /ui redirect to /ui/; its files are public like
// any login page's assets, the data behind them needs a login.
import type { FastifyInstance } from "fastify";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import fastifyStatic from "@fastify/static";

/** The single-page app's own pages: a reload or a shared link on any of them serves the app. */
export const UI_PAGES = ["/ui/vms/*", "/ui/host", "/ui/events", "/ui/admin", "/ui/storage", "/ui/storage/*", "/ui/networks", "/ui/cluster", "/ui/cluster/*"];

export const UI_DIR = fileURLToPath(new URL("../../../web/dist/", import.meta.url));

export async function registerUi(app: FastifyInstance, dir = UI_DIR): Promise<void> {
  const page = { config: { role: "public" as const }, schema: { hide: true } };
  app.get("/", page, async (_request, reply) => reply.redirect("/ui/"));
  app.get("/ui", page, async (request, reply) => {
    const query = request.url.indexOf("?");
    return reply.redirect(`/ui/${query < 0 ? "" : request.url.slice(query)}`, 301);
  });
  if (!existsSync(dir)) {
    for (const url of ["/ui/*", ...UI_PAGES]) app.get(url, page, async (_request, reply) => reply.status(503).type("text/plain").send("The Host Client is not built: run `npm run build`.\n"));
    return;
  }
  await app.register(fastifyStatic, { root: dir, prefix: "/ui/", index: "index.html", schemaHide: true, cacheControl: true, maxAge: "1h" });
  for (const url of UI_PAGES) app.get(url, page, async (_request, reply) => reply.sendFile("index.html"));
}
