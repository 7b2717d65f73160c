// A VM's NICs: /api/v1/vms/{name}/nics. Added, removed and their link set live over QMP while the
// VM runs, and always written to the definition ([nics.ID]), whose MAC is allocated unique per host.
import { Type, type Static } from "@sinclair/typebox";
import { NAME_PATTERN } from "./definition-schema.js";
import { literalUnion } from "./literal-union.js";

const Id = (description: string) => Type.String({ pattern: NAME_PATTERN, description });
/** A unicast MAC address (the multicast bit of the first octet clear), written with colons. */
export const UNICAST_MAC_PATTERN = "^[0-9a-fA-F][02468aceACE](:[0-9a-fA-F]{2}){5}$";
export const NIC_MODELS = ["virtio", "e1000", "rtl8139"] as const;
export const NIC_LINKS = ["up", "down"] as const;

export const NicIdParamsSchema = Type.Object({ name: Type.String({ pattern: NAME_PATTERN }), id: Type.String({ pattern: NAME_PATTERN }) });

export const NicAddRequestSchema = Type.Object({
  id: Type.Optional(Id("the NIC's id, e.g. net1 (default: the next free netN)")),
  network: Id("a host network (`vmctl network ls`)"),
  model: Type.Optional(literalUnion(NIC_MODELS, { description: "default virtio" })),
  mac: Type.Optional(Type.String({ pattern: UNICAST_MAC_PATTERN, description: "a unicast MAC no other NIC on this host has (default: one allocated so, 52:54:00:…)" })),
}, { additionalProperties: false });
export type NicAddRequest = Static<typeof NicAddRequestSchema>;

export const NicLinkRequestSchema = Type.Object({ link: literalUnion(NIC_LINKS, { description: "down: as if the cable were pulled" }) }, { additionalProperties: false });
export type NicLinkRequest = Static<typeof NicLinkRequestSchema>;

export const NicInfoSchema = Type.Object({
  id: Type.String(),
  network: Type.String(),
  model: literalUnion(NIC_MODELS),
  mac: Type.String(),
  link: literalUnion(NIC_LINKS),
  /** The NIC's tap on the host while its QEMU runs (nat and isolated networks); absent for user-mode NICs. */
  tap: Type.Optional(Type.String()),
  addresses: Type.Array(Type.String(), { description: "the NIC's IP addresses while the VM runs (as in GET /vms' addresses)" }),
});
export type NicInfo = Static<typeof NicInfoSchema>;
export const NicListSchema = Type.Object({ nics: Type.Array(NicInfoSchema) });
