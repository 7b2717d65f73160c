import { describe, it, expect } from "vitest";
import { definitionFromFlags } from "./create.js";

describe("vmctl create's NICs", () => {
  it("puts one NIC on the default network, one per --network, or none with --no-nic", () => {
    expect(definitionFromFlags("a", { nic: true }).nics).toEqual({ net0: { network: "default", model: "virtio", mac: "auto" } });
    expect(definitionFromFlags("a", { nic: true, network: ["lab", "wan"] }).nics).toEqual({
      net0: { network: "lab", model: "virtio", mac: "auto" }, net1: { network: "wan", model: "virtio", mac: "auto" },
    });
    expect(definitionFromFlags("a", { nic: false }).nics).toBeUndefined();
    expect(() => definitionFromFlags("a", { nic: false, network: ["lab"] })).toThrow(/contradict/);
  });
});
