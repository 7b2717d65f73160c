// Wire types of a VM's port forwards (GET/POST /api/v1/vms/{name}/port-forwards, DELETE
// …/port-forwards/{id}): a host port that reaches a port of the guest on its NIC of a nat network.
import { Type, type Static } from "@sinclair/typebox";
import { NAME_PATTERN } from "./definition-schema.js";
import { literalUnion } from "./literal-union.js";

export const PORT_FORWARD_PROTOCOLS = ["tcp", "udp"] as const;
export type PortForwardProtocol = (typeof PORT_FORWARD_PROTOCOLS)[number];
/** A forward's id: "pf-" and 8 hex digits. */
export const PORT_FORWARD_ID_PATTERN = "^pf-[0-9a-f]{8}$";

// Ports are checked by vmctld, whose answer names the field and the range (1 to 65535).
const port = (description: string) => Type.Integer({ description });

export const PortForwardRequestSchema = Type.Object({
  hostPort: port("the host's port, 1 to 65535; below 1024 it also needs network.write (Admin), as only root binds those on a host"),
  guestPort: port("the guest's port, 1 to 65535"),
  protocol: Type.Optional(literalUnion(PORT_FORWARD_PROTOCOLS, { description: "tcp (default) or udp" })),
  hostAddress: Type.Optional(Type.String({ maxLength: 15, description: "one of the host's IPv4 addresses (127.0.0.1 included) the forward answers on; without it the forward answers on every host address, loopback included" })),
}, { additionalProperties: false });
export type PortForwardRequest = Static<typeof PortForwardRequestSchema>;

export const PortForwardSchema = Type.Object({
  id: Type.String({ pattern: PORT_FORWARD_ID_PATTERN }),
  vm: Type.String(),
  hostPort: Type.Integer(),
  guestPort: Type.Integer(),
  protocol: literalUnion(PORT_FORWARD_PROTOCOLS),
  hostAddress: Type.Optional(Type.String()),
  nic: Type.String({ description: "the VM's NIC the forward reaches (its first NIC on a nat network when it was made)" }),
  network: Type.Optional(Type.String({ description: "that NIC's nat network (absent when the NIC is gone or on another kind of network now)" })),
  guestAddress: Type.Optional(Type.String({ description: "the NIC's address, reserved for its MAC in the network's DHCP (so known before the guest boots)" })),
  active: Type.Boolean({ description: "whether its rule is in place: the NIC is on a nat network that is up (the default network comes up with its first VM)" }),
  createdAt: Type.String(),
});
export type PortForward = Static<typeof PortForwardSchema>;

export const PortForwardListSchema = Type.Object({ portForwards: Type.Array(PortForwardSchema) });
export const PortForwardParamsSchema = Type.Object({ name: Type.String({ pattern: NAME_PATTERN }), id: Type.String({ pattern: PORT_FORWARD_ID_PATTERN }) });
