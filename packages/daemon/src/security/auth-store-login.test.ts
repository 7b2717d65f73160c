import { describe, it, expect } from "vitest";
import { openDatabase } from "../store/database.js";
import { AuthStore } from "./auth-store.js";
import { passwordCheckStats } from "./passwords.js";

describe("login checks", () => {
  it("an unknown user, a disabled one and a wrong password all cost one real password check", async () => {
    const auth = new AuthStore(openDatabase(":memory:"));
    await auth.createUser("carol", "carol-password", "ReadOnly");
    await auth.createUser("dave", "dave-password", "ReadOnly");
    await auth.updateUser("dave", { disabled: true });
    const cost = async (name: string, password: string) => {
      const before = passwordCheckStats().checks;
      const user = await auth.checkLogin(name, password);
      return { user: user?.name ?? null, checks: passwordCheckStats().checks - before };
    };
    expect(await cost("carol", "carol-password")).toEqual({ user: "carol", checks: 1 });
    expect(await cost("carol", "wrong-password")).toEqual({ user: null, checks: 1 });
    expect(await cost("nobody", "carol-password")).toEqual({ user: null, checks: 1 });
    expect(await cost("dave", "dave-password")).toEqual({ user: null, checks: 1 });
  });

  it("a token made by a token is capped by it, and both die with the parent", async () => {
    const auth = new AuthStore(openDatabase(":memory:"));
    await auth.createUser("carol", "carol-password", "Admin");
    const parent = auth.createToken("carol", "parent", "ReadOnly", null);
    const child = auth.createToken("carol", "child", "Admin", null, parent.info.id);
    const grandchild = auth.createToken("carol", "grandchild", "Admin", null, child.info.id);
    expect(auth.principalForToken(grandchild.token)!.host.has("vm.power")).toBe(false);
    expect(auth.principalForToken(grandchild.token)!.host.has("vm.read")).toBe(true);
    auth.revokeToken(parent.info.id);
    expect(auth.principalForToken(child.token)).toBeNull();
    expect(auth.principalForToken(grandchild.token)).toBeNull();
    expect(auth.token(grandchild.info.id)).toMatchObject({ revoked: true, parent: child.info.id });
  });
});
