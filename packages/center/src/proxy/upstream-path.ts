// The path a proxied request takes on the owning host, built from the raw URL the client sent and
// checked segment by segment: no `.`/`..` (plain or percent-encoded), no encoded slash or backslash,
// no NUL, nothing but URL characters, so that `/api/v1/vms/x/../../users` (or its %2e/%2f spellings)
// can never reach another route of the host. The VM's name is re-encoded from the decoded parameter.
import { VmctlError } from "@vmctl/api-types";

/** Characters a path segment may carry as sent (RFC 3986 pchar, percent-escapes checked apart). */
const SEGMENT = /^(?:[A-Za-z0-9._~!$&'()*+,;=:@-]|%[0-9A-Fa-f]{2})*$/;
const MAX_PATH = 4096;

function refuse(why: string): never {
  throw new VmctlError("bad_request", `this path cannot be forwarded to a host: ${why}; name the VM route as it is (e.g. /api/v1/vms/NAME/power)`);
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return refuse("a path segment is not valid percent-encoding");
  }
}

/** Splits a raw request URL into its path and its query ("" or "?…"). */
export function splitUrl(rawUrl: string): { path: string; query: string } {
  const at = rawUrl.indexOf("?");
  return at < 0 ? { path: rawUrl, query: "" } : { path: rawUrl.slice(0, at), query: rawUrl.slice(at) };
}

/** A query string as it may go on: no control characters or spaces (the URL Node sends is not re-parsed). */
export function checkedQuery(query: string): string {
  if (query.length > MAX_PATH || /[\u0000-\u0020\u007f-\uffff#]/.test(query)) refuse("the query string holds characters a URL may not");
  return query;
}

/**
 * The upstream path for a request under `prefix` ("/api/v1/vms/" or "/ws/vms/") whose first segment
 * after it is the VM's name (`name`, as the router decoded it): the same path, checked, with the name
 * encoded again; the query is passed on as sent.
 */
export function upstreamPath(rawUrl: string, prefix: string, name: string): string {
  const { path, query } = splitUrl(rawUrl);
  if (path.length > MAX_PATH) refuse(`it is longer than ${MAX_PATH} characters`);
  if (!path.startsWith(prefix)) refuse(`it does not start with ${prefix}`);
  const segments = path.slice(prefix.length).split("/");
  const [first, ...rest] = segments;
  if (first === undefined || first === "") refuse("it names no VM");
  for (const [index, segment] of segments.entries()) {
    // An empty segment is allowed only as a trailing slash.
    if (segment === "" && index !== segments.length - 1) refuse("it has an empty segment (//)");
    if (!SEGMENT.test(segment)) refuse("a segment holds characters a URL path may not (a backslash, a space, a control character)");
    const decoded = decodeSegment(segment);
    if (decoded === "." || decoded === "..") refuse("it has a . or .. segment");
    if (/[/\\\u0000]/.test(decoded)) refuse("a segment encodes a slash, a backslash or a NUL");
  }
  if (decodeSegment(first) !== name) refuse("the VM's name does not match the route's");
  const tail = rest.length > 0 ? `/${rest.join("/")}` : "";
  return `${prefix}${encodeURIComponent(name)}${tail}${checkedQuery(query)}`;
}
