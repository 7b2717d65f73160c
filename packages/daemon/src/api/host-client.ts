// The Host Client (packages/web, built at set-up) served at /ui/; the root and /ui (as the README
// writes it) redirect there. Its files are public, like any login page's assets: the data behind
// them needs a login.
import type { ApiApp } from "./api-app.js";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import fastifyStatic from "@fastify/static";

/** The single-page app's own pages: a reload or a shared link on any of them serves the app. */
export const UI_PAGES = ["/ui/vms/*", "/ui/host", "/ui/events", "/ui/admin", "/ui/storage", "/ui/storage/*", "/ui/networks"];

export const UI_DIR = fileURLToPath(new URL("../../../web/dist/", import.meta.url));

export async function registerHostClient(app: ApiApp): Promise<void> {
  app.get("/", { schema: { hide: true } }, async (_request, reply) => reply.redirect("/ui/"));
  // Permanent, and keeping the query: the app's relative asset paths only resolve under /ui/.
  app.get("/ui", { schema: { hide: true } }, async (request, reply) => {
    const query = request.url.indexOf("?");
    return reply.redirect(`/ui/${query < 0 ? "" : request.url.slice(query)}`, 301);
  });
  if (!existsSync(UI_DIR)) {
    for (const url of ["/ui/*", ...UI_PAGES]) {
      app.get(url, { schema: { hide: true } }, async (_request, reply) => reply.status(503).type("text/plain").send("The Host Client is not built: run `npm run build` (npm start does it).\n"));
    }
    return;
  }
  await app.register(fastifyStatic, { root: UI_DIR, prefix: "/ui/", index: "index.html", schemaHide: true, cacheControl: true, maxAge: "1h" });
  // Deep links (/ui/vms/web01/console, /ui/host) are pages of the single-page app.
  for (const url of UI_PAGES) app.get(url, { schema: { hide: true } }, async (_request, reply) => reply.sendFile("index.html"));
}
