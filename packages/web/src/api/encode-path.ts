// A datastore path in a URL, shared by the API paths and the browser's addresses; no imports, so
// the router (first load) takes it without the upload code of datastores.ts.

/** `iso/debian 12.iso` → `iso/debian%2012.iso`: each segment encoded, the slashes kept. */
export const encodePath = (path: string) => path.split("/").filter(Boolean).map(encodeURIComponent).join("/");
