// Datastores, their files and the ISO library through the client. An upload is a PUT of the raw file;
// after a failure, ?upload=status says how much arrived and a PUT with Content-Range sends the rest.
import type { Datastore, UploadStatus } from "@vmctl/api-types";
import { client } from "./http";
import type { Sending } from "./transfer";

/** A file's address: a link to it downloads it. */
export const fileUrl = (datastore: string, path: string) => client.fileUrl(datastore, path);

/** How full a datastore is, 0 to 100 (0 when its size is unknown). */
export const usedPercent = (ds: Datastore) => (ds.capacityBytes ? ((ds.capacityBytes - ds.freeBytes) / ds.capacityBytes) * 100 : 0);

/** `a/b` + `c` → `a/b/c`; the root is "". */
export const joinPath = (dir: string, name: string) => (dir ? `${dir}/${name}` : name);

export const addDatastore = (name: string, path: string) => client.addDatastore(name, path);
export const removeDatastore = (name: string) => client.removeDatastore(name);

export const makeDirectory = (datastore: string, path: string) => client.makeDirectory(datastore, path);
export const deleteFile = (datastore: string, path: string) => client.deleteFile(datastore, path);
export const uploadStatus = (datastore: string, path: string) => client.uploadStatus(datastore, path);

/**
 * Sends `file` from byte `from` on: the whole file as the body when from is 0, else the rest with
 * Content-Range, which continues the part vmctld kept of an interrupted upload.
 */
export function uploadFrom(datastore: string, path: string, file: Blob, from: number, overwrite: boolean, onProgress: (sent: number) => void): Sending<UploadStatus> {
  return client.uploadFrom(datastore, path, file, from, overwrite, onProgress);
}
