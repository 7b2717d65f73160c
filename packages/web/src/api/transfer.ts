// Downloads: what a GET answers as an attachment, fetched by the browser itself as a link with
// `download` would (the session cookie authenticates it). Uploads with progress are the client's.
export type { Sending } from "@vmctl/client/browser";

/** Downloads what a GET of `url` answers (an attachment). */
export function download(url: string): void {
  const link = document.createElement("a");
  link.href = url;
  link.download = "";
  document.body.append(link);
  link.click();
  link.remove();
}
