// Datastores, their files and the ISO library through the API. An upload is a PUT of the raw file;
// after a failure, ?upload=status says how much arrived and a PUT with Content-Range sends the rest.
import type { Datastore, DatastorePathResult, UploadStatus } from "@vmctl/api-types";
import { encodePath } from "./encode-path";
import { api } from "./http";
import { sendFile, type Sending } from "./transfer";

export const DATASTORES_PATH = "/api/v1/datastores";
export const ISOS_PATH = "/api/v1/isos";

/** The API path of a file or directory; a link to a file downloads it. */
export const filesPath = (datastore: string, path = "") =>
  `${DATASTORES_PATH}/${encodeURIComponent(datastore)}/files${path ? `/${encodePath(path)}` : ""}`;

/** How full a datastore is, 0 to 100 (0 when its size is unknown). */
export const usedPercent = (ds: Datastore) => (ds.capacityBytes ? ((ds.capacityBytes - ds.freeBytes) / ds.capacityBytes) * 100 : 0);

/** `a/b` + `c` → `a/b/c`; the root is "". */
export const joinPath = (dir: string, name: string) => (dir ? `${dir}/${name}` : name);

export const addDatastore = (name: string, path: string) => api<Datastore>("POST", DATASTORES_PATH, { name, path });
export const removeDatastore = (name: string) => api<{ name: string; path: string }>("DELETE", `${DATASTORES_PATH}/${encodeURIComponent(name)}`);

export const makeDirectory = (datastore: string, path: string) => api<DatastorePathResult>("POST", `${filesPath(datastore, path)}?mkdir`);
export const deleteFile = (datastore: string, path: string) => api<DatastorePathResult>("DELETE", filesPath(datastore, path));
export const uploadStatus = (datastore: string, path: string) => api<UploadStatus>("GET", `${filesPath(datastore, path)}?upload=status`);

/**
 * Sends `file` from byte `from` on: the whole file as the body when from is 0, else the rest with
 * Content-Range, which continues the part vmctld kept of an interrupted upload.
 */
export function uploadFrom(datastore: string, path: string, file: Blob, from: number, overwrite: boolean, onProgress: (sent: number) => void): Sending<UploadStatus> {
  const headers: Record<string, string> = { "content-type": "application/octet-stream" };
  if (from > 0) headers["content-range"] = `bytes ${from}-${file.size - 1}/${file.size}`;
  return sendFile<UploadStatus>({
    method: "PUT", path: `${filesPath(datastore, path)}${overwrite ? "?overwrite=true" : ""}`,
    body: from > 0 ? file.slice(from) : file, headers, onProgress: (sent) => onProgress(from + sent),
  });
}
