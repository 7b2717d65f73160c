import { describe, it, expect } from "vitest";
import { hideHostPaths, hideHostPathsIn } from "./host-paths.js";

const roots = [
  { path: "/var/lib/vmctl", shownAs: "(vmctld home)/" },
  { path: "/var/lib/vmctl/datastores/local", shownAs: "" },
  { path: "/srv/fast/", shownAs: "" },
];

describe("host paths in answers", () => {
  it("a file under a datastore reads relative to it; under the home, as the home; a root alone as its name", () => {
    expect(hideHostPathsIn("/var/lib/vmctl/datastores/local/web01/web01.toml:3: invalid TOML", roots)).toBe("web01/web01.toml:3: invalid TOML");
    expect(hideHostPathsIn("no file /srv/fast/web02/disk0.qcow2 (and /srv/fastest/x stays)", roots)).toBe("no file web02/disk0.qcow2 (and /srv/fastest/x stays)");
    expect(hideHostPathsIn("see /var/lib/vmctl/run/x.sock or /var/lib/vmctl", roots)).toBe("see (vmctld home)/run/x.sock or (vmctld home)");
  });

  it("reaches every string of a body, its details too", () => {
    const body = { error: { code: "invalid_definition", message: "/var/lib/vmctl/datastores/local/a/a.toml:1: x", details: { file: "/var/lib/vmctl/datastores/local/a/a.toml", issues: [{ field: "", line: 1, message: "m" }] } } };
    expect(JSON.stringify(hideHostPaths(body, roots))).not.toContain("/var/lib");
    expect(hideHostPaths(body, roots).error.details.issues[0]!.line).toBe(1);
  });
});
