// Every path of the v1 API and of its WebSockets, built in one place: the Node and browser clients,
// the Host Client's links and the benchmarks take them from here, so nothing else spells a route.

/** `iso/debian 12.iso` → `iso/debian%2012.iso`: each segment encoded, the slashes kept. */
export const encodePath = (path: string): string => path.split("/").filter(Boolean).map(encodeURIComponent).join("/");

export type Query = Record<string, string | number | boolean | undefined>;

/** `?a=1&b=x` of the defined values, or "" when there are none. */
export function queryString(query: Query = {}): string {
  const params = new URLSearchParams(Object.entries(query).flatMap(([k, v]): Array<[string, string]> => (v === undefined ? [] : [[k, String(v)]])));
  const text = params.toString();
  return text ? `?${text}` : "";
}

const V1 = "/api/v1";
const e = encodeURIComponent;
const vm = (name: string) => `${V1}/vms/${e(name)}`;

/** What a WebSocket ticket (POST …/console) opens: the serial console, the VNC display or the monitor. */
export type SocketPurpose = "console" | "vnc" | "monitor";

export const apiPaths = {
  host: () => `${V1}/host`,
  openapi: () => `${V1}/openapi.json`,
  login: () => `${V1}/login`,
  logout: () => `${V1}/logout`,
  me: () => `${V1}/me`,
  users: () => `${V1}/users`,
  user: (user: string) => `${V1}/users/${e(user)}`,
  grant: (user: string, vmName: string) => `${V1}/users/${e(user)}/grants/${e(vmName)}`,
  roles: () => `${V1}/roles`,
  tokens: () => `${V1}/tokens`,
  token: (id: string) => `${V1}/tokens/${e(id)}`,
  audit: (query: { user?: string | undefined; target?: string | undefined; since?: number | undefined; limit?: number | undefined } = {}) => `${V1}/audit${queryString(query)}`,
  datastores: () => `${V1}/datastores`,
  datastore: (name: string) => `${V1}/datastores/${e(name)}`,
  /** A file or directory of a datastore (the root is `files/`); a GET of a file downloads it. */
  files: (datastore: string, path = "") => `${V1}/datastores/${e(datastore)}/files/${encodePath(path)}`,
  isos: () => `${V1}/isos`,
  networks: () => `${V1}/networks`,
  network: (name: string) => `${V1}/networks/${e(name)}`,
  portForwards: (name: string) => `${vm(name)}/port-forwards`,
  portForward: (name: string, id: string) => `${vm(name)}/port-forwards/${e(id)}`,
  vms: (query: { state?: string | undefined; name?: string | undefined; sort?: string | undefined; limit?: number | undefined; offset?: number | undefined; datastore?: string | undefined } = {}) => `${V1}/vms${queryString(query)}`,
  vm: (name: string, query: Query = {}) => `${vm(name)}${queryString(query)}`,
  rename: (name: string) => `${vm(name)}/rename`,
  vmBatch: () => `${V1}/vms:batch`,
  definition: (name: string) => `${vm(name)}/definition`,
  power: (name: string) => `${vm(name)}/power`,
  desiredState: (name: string) => `${vm(name)}/state`,
  disks: (name: string) => `${vm(name)}/disks`,
  disk: (name: string, id: string, query: Query = {}) => `${vm(name)}/disks/${e(id)}${queryString(query)}`,
  diskResize: (name: string, id: string) => `${vm(name)}/disks/${e(id)}/resize`,
  cdroms: (name: string) => `${vm(name)}/cdroms`,
  nics: (name: string) => `${vm(name)}/nics`,
  nic: (name: string, id: string) => `${vm(name)}/nics/${e(id)}`,
  nicLink: (name: string, id: string) => `${vm(name)}/nics/${e(id)}/link`,
  media: (name: string, id: string) => `${vm(name)}/cdroms/${e(id)}/media`,
  snapshots: (name: string) => `${vm(name)}/snapshots`,
  snapshot: (name: string, snapshot: string) => `${vm(name)}/snapshots/${e(snapshot)}`,
  snapshotRevert: (name: string, snapshot: string) => `${vm(name)}/snapshots/${e(snapshot)}/revert`,
  clone: (name: string) => `${vm(name)}/clone`,
  template: (name: string) => `${vm(name)}/template`,
  /** The OVA of a stopped VM (a download). */
  export: (name: string) => `${vm(name)}/export`,
  import: (query: { name?: string | undefined; datastore?: string | undefined; start?: boolean | undefined } = {}) => `${V1}/import${queryString(query)}`,
  /** A single-use ticket for a console, VNC or monitor WebSocket. */
  socketTicket: (name: string) => `${vm(name)}/console`,
  screenshot: (name: string, query: Query = {}) => `${vm(name)}/screenshot${queryString(query)}`,
  sendKey: (name: string) => `${vm(name)}/sendkey`,
  guestPassword: (name: string) => `${vm(name)}/guest/password`,
  tasks: (query: { target?: string | undefined; state?: string | undefined; parent?: string | undefined; limit?: number | undefined } = {}) => `${V1}/tasks${queryString(query)}`,
  task: (id: string, query: { wait?: number | undefined } = {}) => `${V1}/tasks/${e(id)}${queryString(query)}`,
  events: (query: { vm?: string | undefined; type?: string | undefined; since?: number | undefined; limit?: number | undefined } = {}) => `${V1}/events${queryString(query)}`,
} as const;

/** The WebSocket paths (the scheme and host are the transport's). */
export const socketPaths = {
  console: (name: string) => `/ws/vms/${e(name)}/console`,
  vnc: (name: string) => `/ws/vms/${e(name)}/vnc`,
  monitor: (name: string) => `/ws/vms/${e(name)}`,
  events: (query: { since?: number | undefined; vm?: string | undefined } = {}) => `/ws/events${queryString(query)}`,
} as const;
