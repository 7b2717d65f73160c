import { describe, it, expect } from "vitest";
import { demoOutput, parseHostCount, type DemoOutput } from "./cluster-demo.js";

describe("vmctl cluster demo", () => {
  it("prints exactly the pinned shape, whatever else the demo answers", () => {
    const info = {
      url: "https://127.0.0.1:9443", token: "vmcenter_x", ca: "/d/ca.pem", extra: 1,
      sharedDatastore: { name: "shared", path: "/d/shared", more: true },
      hosts: [{ id: "h1", name: "host1", url: "https://127.0.0.1:1", home: "/d/host1", pid: 10, command: ["vmctld", "--home", "/d/host1"] }],
    } as DemoOutput;
    const out = demoOutput(info);
    expect(JSON.stringify(out)).toBe('{"url":"https://127.0.0.1:9443","token":"vmcenter_x","ca":"/d/ca.pem","sharedDatastore":{"name":"shared","path":"/d/shared"},'
      + '"hosts":[{"id":"h1","url":"https://127.0.0.1:1","home":"/d/host1","pid":10,"command":["vmctld","--home","/d/host1"]}]}');
  });

  it("takes 1 to 16 hosts, and says so otherwise", () => {
    expect(parseHostCount("3")).toBe(3);
    for (const bad of ["0", "17", "2.5", "three", "-1", ""]) expect(() => parseHostCount(bad), bad).toThrow(/--hosts: ".*" is not a number of hosts from 1 to 16/);
  });
});
