// The guest agent's routes: POST /vms/{name}/guest/password sets a guest user's password through
// the QEMU guest agent (guest-set-user-password). The password goes to the agent and nowhere else:
// not in a log, an event, the audit (bodies never are) or an error.
import { GuestPasswordAnswerSchema, GuestPasswordRequestSchema, VmNameParamsSchema, VmctlError } from "@vmctl/api-types";
import type { ApiApp } from "./api-app.js";
import type { Host } from "../host.js";
import { responses } from "./openapi.js";

export function registerGuestRoutes(app: ApiApp, host: Host): void {
  app.post("/api/v1/vms/:name/guest/password", {
    schema: {
      params: VmNameParamsSchema, body: GuestPasswordRequestSchema, response: responses({ 200: GuestPasswordAnswerSchema }, 400, 404, 409),
      summary: "Set a guest user's password through the QEMU guest agent (needs vm.console.input, like typing into the console)",
    },
  }, async (request) => {
    const { name } = request.params;
    const { user, password } = request.body;
    // chpasswd in the guest reads "user:password" lines: a line break would name another user.
    if (/[\r\n\0]/.test(password)) throw new VmctlError("bad_request", "password: no line breaks or NUL characters allowed; choose a password without them", { field: "password" });
    host.inventory.get(name);
    const rt = host.runtimes.get(name);
    if (!rt.process || rt.state !== "running") throw new VmctlError("vm_wrong_state", `VM "${name}" is ${rt.state}; its guest agent answers only while it runs`, { state: rt.state });
    const agent = await host.power.guestAgent(name);
    if (!agent) throw new VmctlError("vm_wrong_state", `agent: not connected: VM "${name}" has no guest agent answering; install and start qemu-guest-agent in the guest`, { agent: "not connected" });
    try {
      await agent.setUserPassword(user, password);
    } catch (error) {
      // The agent's words (user unknown, chpasswd failed); they never hold the password.
      throw new VmctlError("bad_request", `user: the guest agent could not set the password of "${user}": ${(error as Error).message.replace(/^guest agent: "guest-set-user-password" failed: /, "")}`, { field: "user" });
    }
    host.log.info({ vm: name, user }, "guest user's password set through the guest agent");
    return { user, set: true };
  });
}
