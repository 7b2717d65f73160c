// The route-role table: every route declares a role, and who passes which.
import { describe, expect, it } from "vitest";
import { routeRoleOf, verdict, type RouteRole } from "./role-hook.js";
import type { ClusterPrincipal } from "../center-context.js";

const as = (role: ClusterPrincipal["role"]): ClusterPrincipal => ({ user: "u", name: "u", role });

describe("route roles", () => {
  it("refuses a route that declares no role, or an unknown one", () => {
    expect(() => routeRoleOf("GET", "/api/v1/cluster/hosts", undefined)).toThrow(/declares no role/);
    expect(() => routeRoleOf("POST", "/api/v1/x", { role: "root" })).toThrow(/declares no role/);
    expect(() => routeRoleOf("POST", "/api/v1/x", {})).toThrow(/POST \/api\/v1\/x/);
  });
  it("takes the declared role, and the Host Client's static files as public", () => {
    expect(routeRoleOf("GET", "/api/v1/me", { role: "authenticated" })).toBe("authenticated");
    expect(routeRoleOf("GET", "/ui/*", undefined)).toBe("public");
  });
  it("lets each role through exactly the routes at or below it", () => {
    const table: Array<[RouteRole, ClusterPrincipal | null, string]> = [
      ["public", null, "ok"],
      ["authenticated", null, "unauthenticated"],
      ["ReadOnly", null, "unauthenticated"],
      ["authenticated", as("ReadOnly"), "ok"],
      ["ReadOnly", as("ReadOnly"), "ok"],
      ["Operator", as("ReadOnly"), "forbidden"],
      ["Admin", as("ReadOnly"), "forbidden"],
      ["Operator", as("Operator"), "ok"],
      ["Admin", as("Operator"), "forbidden"],
      ["Admin", as("Admin"), "ok"],
      ["ReadOnly", as("Admin"), "ok"],
    ];
    for (const [role, principal, expected] of table) expect(`${role}/${principal?.role ?? "none"}: ${verdict(role, principal)}`).toBe(`${role}/${principal?.role ?? "none"}: ${expected}`);
  });
});
