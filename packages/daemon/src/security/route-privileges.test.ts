// Every route vmctld serves names its privilege, and only login and health are public.
import { describe, it, expect } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { loadHostConfig } from "../config/host-config.js";
import { Host } from "../host.js";
import { buildApp } from "../server.js";
import { ROUTE_PRIVILEGES, needOf } from "./route-privileges.js";

describe("route privileges", () => {
  it("covers every route of the app, and only login, health and the Host Client's files are public", async () => {
    const home = mkdtempSync(join(tmpdir(), "routes-test-"));
    try {
      const logger = pino({ level: "silent" });
      const host = new Host(await loadHostConfig(home), logger);
      const routes: string[] = [];
      const app = await buildApp(host, logger, (method, url) => routes.push(`${method} ${url}`));
      await app.ready();
      const served = routes.filter((r) => !r.startsWith("HEAD "));
      expect(served.filter((r) => needOf(r.split(" ")[0]!, r.split(" ")[1]!) === undefined)).toEqual([]);
      expect(Object.keys(ROUTE_PRIVILEGES).filter((key) => !served.includes(key))).toEqual([]);
      expect(Object.entries(ROUTE_PRIVILEGES).filter(([, need]) => need === "public").map(([key]) => key).sort()).toEqual(["GET /", "GET /healthz", "GET /ui", "GET /ui/*", "GET /ui/admin", "GET /ui/events", "GET /ui/host", "GET /ui/networks", "GET /ui/storage", "GET /ui/storage/*", "GET /ui/vms/*", "POST /api/v1/login"]);
      await app.close();
      host.db.close();
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});
