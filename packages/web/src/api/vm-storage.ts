// A VM's storage through the API: disks and CD media (answered at once), snapshots, clones and
// imports (tasks), templates, and the OVA export, which is a plain download.
import type { CloneRequest, DiskAddRequest, DiskInfo, SnapshotRequest, Task } from "@vmctl/api-types";
import { api } from "./http";
import { sendFile, type Sending } from "./transfer";

const vm = (name: string) => `/api/v1/vms/${encodeURIComponent(name)}`;

export const disksPath = (name: string) => `${vm(name)}/disks`;
export const snapshotsPath = (name: string) => `${vm(name)}/snapshots`;
/** The OVA of a stopped VM: a link to it downloads it (the session cookie authenticates GETs). */
export const exportUrl = (name: string) => `${vm(name)}/export`;

export const addDisk = (name: string, request: DiskAddRequest) => api<DiskInfo>("POST", disksPath(name), request);
export const detachDisk = (name: string, id: string, deleteFile: boolean) =>
  api<{ deleted: string | null }>("DELETE", `${disksPath(name)}/${encodeURIComponent(id)}${deleteFile ? "?delete=true" : ""}`);
export const growDisk = (name: string, id: string, size: string) => api<DiskInfo>("POST", `${disksPath(name)}/${encodeURIComponent(id)}/resize`, { size });

export interface IsoRef { datastore: string; path: string }
export const addCdrom = (name: string, iso: IsoRef | null, bus?: "sata" | "ide" | "scsi") =>
  api<DiskInfo>("POST", `${vm(name)}/cdroms`, { ...(bus ? { bus } : {}), ...(iso ? { iso: iso.path, datastore: iso.datastore } : {}) });
/** Inserts an ISO, or ejects with null; live while the VM runs. */
export const setMedium = (name: string, id: string, iso: IsoRef | null) =>
  api<DiskInfo>("PUT", `${vm(name)}/cdroms/${encodeURIComponent(id)}/media`, iso ? { iso: iso.path, datastore: iso.datastore } : { iso: null });

export const takeSnapshot = (name: string, request: SnapshotRequest) => api<Task>("POST", snapshotsPath(name), request);
export const revertSnapshot = (name: string, snap: string) => api<Task>("POST", `${snapshotsPath(name)}/${encodeURIComponent(snap)}/revert`);
export const deleteSnapshot = (name: string, snap: string) => api<Task>("DELETE", `${snapshotsPath(name)}/${encodeURIComponent(snap)}`);

export const cloneVm = (name: string, request: CloneRequest) => api<Task>("POST", `${vm(name)}/clone`, request);
export const setTemplate = (name: string, template: boolean) => api<{ name: string; template: boolean }>(template ? "POST" : "DELETE", `${vm(name)}/template`);

export interface ImportOptions { name?: string; datastore?: string; start?: boolean }

/** Imports an OVA, .ovf or libvirt .xml that is already in a datastore. */
export const importFromDatastore = (source: IsoRef, options: ImportOptions) =>
  api<Task>("POST", "/api/v1/import", {
    datastore: source.datastore, path: source.path,
    ...(options.name ? { name: options.name } : {}), ...(options.datastore ? { targetDatastore: options.datastore } : {}), ...(options.start ? { start: true } : {}),
  });

/** Uploads an OVA as the request body; vmctld unpacks it while it arrives and answers with the import task. */
export function importUpload(file: File, options: ImportOptions, onProgress: (sent: number) => void): Sending<Task> {
  const query = new URLSearchParams();
  if (options.name) query.set("name", options.name);
  if (options.datastore) query.set("datastore", options.datastore);
  if (options.start) query.set("start", "true");
  return sendFile<Task>({ method: "POST", path: `/api/v1/import${query.size ? `?${query}` : ""}`, body: file, headers: { "content-type": "application/x-tar" }, onProgress });
}

/** An answer that is a task (202): its end is reported where the action began. */
export const isTask = (value: unknown): value is Task =>
  typeof value === "object" && value !== null && typeof (value as Task).id === "string" && typeof (value as Task).op === "string" && typeof (value as Task).state === "string";
