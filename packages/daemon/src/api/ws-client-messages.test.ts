// Client messages on the WebSockets are read against their declared schemas (@vmctl/api-types ws-wire.ts).
import { describe, it, expect } from "vitest";
import { clientData } from "./ws-message.js";

describe("client messages", () => {
  it("are taken as the type declares them, and refused otherwise", () => {
    expect(clientData({ type: "console_input", data: { content: "aGk=" } }, "console_input")).toEqual({ content: "aGk=" });
    expect(clientData({ type: "console_input", data: { content: 42 } }, "console_input")).toBeNull();
    expect(clientData({ type: "command", data: { content: "aGk=" } }, "console_input")).toBeNull();
    expect(clientData({ type: "command", data: { action: "start", requestId: "r1" } }, "command")).toEqual({ action: "start", requestId: "r1" });
    expect(clientData({ type: "command", data: { action: "explode", requestId: "r1" } }, "command")).toBeNull();
    expect(clientData({ type: "command", data: { action: "stop", requestId: "r".repeat(129) } }, "command")).toBeNull();
  });
});
