// Wire types of vmcenter's cluster API (/api/v1/cluster/...): hosts, cluster VMs, placement, migration, rules.
import { Type } from "@sinclair/typebox";

/** GET /api/v1/cluster: a plain host answers 404 here, which is how clients detect cluster mode. */
export const ClusterInfoSchema = Type.Object({
  clusterId: Type.String(),
  leader: Type.Union([Type.String(), Type.Null()], { description: "the leading replica's URL; null while none leads" }),
  replica: Type.String({ description: "the id of the replica that answered" }),
  replicas: Type.Array(Type.String()),
  version: Type.String(),
}, { $id: "ClusterInfo" });
