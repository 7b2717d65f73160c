// The paths of vmcenter's cluster API and of a host's migration routes, built in one place (as
// api-paths.ts does for the host API): nothing outside the client spells them.
import { queryString } from "./api-paths.js";

const V1 = "/api/v1";
const C = `${V1}/cluster`;
const e = encodeURIComponent;

export const clusterPaths = {
  info: () => C,
  hosts: () => `${C}/hosts`,
  host: (id: string) => `${C}/hosts/${e(id)}`,
  maintenance: (id: string) => `${C}/hosts/${e(id)}/maintenance`,
  vms: (query: { datastore?: string | undefined } = {}) => `${C}/vms${queryString(query)}`,
  placement: (name: string) => `${C}/vms/${e(name)}/placement`,
  migrate: (name: string) => `${C}/vms/${e(name)}/migrate`,
  rules: () => `${C}/rules`,
  rule: (name: string) => `${C}/rules/${e(name)}`,
  join: () => `${C}/join`,
} as const;

/** A host's migration routes (vmcenter drives them; Admin only). */
export const migrationPaths = {
  incoming: () => `${V1}/migrations/incoming`,
  migration: (id: string) => `${V1}/migrations/${e(id)}`,
  register: () => `${V1}/migrations/register`,
  migrateOut: (name: string) => `${V1}/vms/${e(name)}/migrate-out`,
} as const;
