// A VM's storage through the client: disks and CD media (answered at once), snapshots, clones and
// imports (tasks), templates, and the OVA export, which is a plain download.
import type { CloneRequest, DiskAddRequest, ImportQuery, SnapshotRequest, Task } from "@vmctl/api-types";
import { client } from "./http";
import type { Sending } from "./transfer";

/** The OVA of a stopped VM: a link to it downloads it (the session cookie authenticates GETs). */
export const exportUrl = (name: string) => client.exportUrl(name);

export const addDisk = (name: string, request: DiskAddRequest) => client.addDisk(name, request);
export const detachDisk = (name: string, id: string, deleteFile: boolean) => client.detachDisk(name, id, deleteFile);
export const growDisk = (name: string, id: string, size: string) => client.resizeDisk(name, id, size);

export interface IsoRef { datastore: string; path: string }
export const addCdrom = (name: string, iso: IsoRef | null, bus?: "sata" | "ide" | "scsi") =>
  client.addCdrom(name, { ...(bus ? { bus } : {}), ...(iso ? { iso: iso.path, datastore: iso.datastore } : {}) });
/** Inserts an ISO, or ejects with null; live while the VM runs. */
export const setMedium = (name: string, id: string, iso: IsoRef | null) => client.setMedia(name, id, iso ? iso.path : null, iso?.datastore);

export const takeSnapshot = (name: string, request: SnapshotRequest) => client.createSnapshot(name, request);
export const revertSnapshot = (name: string, snap: string) => client.revertSnapshot(name, snap);
export const deleteSnapshot = (name: string, snap: string) => client.deleteSnapshot(name, snap);

export const cloneVm = (name: string, request: CloneRequest) => client.cloneVm(name, request);
export const setTemplate = (name: string, template: boolean) => client.setTemplate(name, template);

/** Where the imported VM goes: its name, datastore and whether it starts (the upload's query, as declared). */
export type ImportOptions = ImportQuery;

/** Imports an OVA, .ovf or libvirt .xml that is already in a datastore. */
export const importFromDatastore = (source: IsoRef, options: ImportOptions) =>
  client.importFromDatastore({
    datastore: source.datastore, path: source.path,
    ...(options.name ? { name: options.name } : {}), ...(options.datastore ? { targetDatastore: options.datastore } : {}), ...(options.start ? { start: true } : {}),
  });

/** Uploads an OVA as the request body; vmctld unpacks it while it arrives and answers with the import task. */
export const importUpload = (file: File, options: ImportOptions, onProgress: (sent: number) => void): Sending<Task> => client.importUpload(file, options, onProgress);

/** An answer that is a task (202): its end is reported where the action began. */
export const isTask = (value: unknown): value is Task =>
  typeof value === "object" && value !== null && typeof (value as Task).id === "string" && typeof (value as Task).op === "string" && typeof (value as Task).state === "string";
