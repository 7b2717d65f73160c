// A small, strict XML tree on top of saxes: namespaces resolved, no DTD and so no entity expansion
// (a DOCTYPE or ENTITY is refused before parsing), bounded size and depth.
import { SaxesParser } from "saxes";
import { OvfError } from "./errors.js";

export interface XmlAttribute { uri: string; local: string; value: string }

export interface XmlElement {
  uri: string;
  local: string;
  attributes: XmlAttribute[];
  children: XmlElement[];
  /** The element's own text and CDATA, concatenated (children's text excluded). */
  text: string;
  line: number;
}

export const MAX_XML_CHARS = 8 * 1024 * 1024;
const MAX_DEPTH = 64;
const MAX_ELEMENTS = 200_000;

/** Parses `text` into a tree; `what` names the document in messages ("OVF descriptor"). */
export function parseXml(text: string, what: string): XmlElement {
  if (typeof text !== "string") throw new TypeError(`${what} must be a string`);
  if (text.length > MAX_XML_CHARS) throw new OvfError("xml_refused", `${what} is ${text.length} characters; at most ${MAX_XML_CHARS} are accepted`);
  const dtd = /<!\s*(DOCTYPE|ENTITY)/i.exec(text);
  if (dtd) {
    throw new OvfError("xml_refused", `${what} contains a ${dtd[1]!.toUpperCase()} declaration; document type definitions and entities are refused (they can read local files or expand without bound)`);
  }
  const parser = new SaxesParser({ xmlns: true, position: true });
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  let count = 0;
  let failure: OvfError | undefined;
  const fail = (message: string) => {
    failure ??= new OvfError("xml_malformed", `${what} is not well-formed XML: ${message}`, { line: parser.line, column: parser.column });
  };
  parser.on("error", (error) => fail(error.message.replace(/^\d+:\d+: /, `line ${parser.line}: `)));
  parser.on("doctype", () => fail("a DOCTYPE is not accepted"));
  parser.on("opentag", (tag) => {
    if (stack.length >= MAX_DEPTH) return fail(`elements nest deeper than ${MAX_DEPTH} levels`);
    if (++count > MAX_ELEMENTS) return fail(`more than ${MAX_ELEMENTS} elements`);
    const attributes: XmlAttribute[] = [];
    for (const attribute of Object.values(tag.attributes)) {
      if (attribute.prefix === "xmlns" || (attribute.prefix === "" && attribute.local === "xmlns")) continue;
      attributes.push({ uri: attribute.uri, local: attribute.local, value: attribute.value });
    }
    const element: XmlElement = { uri: tag.uri, local: tag.local, attributes, children: [], text: "", line: parser.line };
    const parent = stack.at(-1);
    if (parent) parent.children.push(element);
    else root = element;
    stack.push(element);
  });
  parser.on("closetag", () => void stack.pop());
  const addText = (value: string) => {
    const current = stack.at(-1);
    if (current) current.text += value;
  };
  parser.on("text", addText);
  parser.on("cdata", addText);
  // saxes reports an error and then keeps going; stop at the first one.
  for (let offset = 0; offset < text.length && !failure; offset += 65536) {
    try {
      parser.write(text.slice(offset, offset + 65536));
    } catch (error) {
      fail(error instanceof Error ? error.message : String(error));
    }
  }
  if (!failure) {
    try {
      parser.close();
    } catch (error) {
      fail(error instanceof Error ? error.message : String(error));
    }
  }
  if (failure) throw failure;
  if (!root) throw new OvfError("xml_malformed", `${what} has no root element`);
  return root;
}

/** Child elements with this local name, whatever their namespace prefix. */
export function childrenNamed(element: XmlElement, local: string): XmlElement[] {
  return element.children.filter((child) => child.local === local);
}

export function childNamed(element: XmlElement, local: string): XmlElement | undefined {
  return element.children.find((child) => child.local === local);
}

/** An attribute in namespace `uri`, or unqualified (many producers leave the prefix off). */
export function attributeOf(element: XmlElement, uri: string, local: string): string | undefined {
  const qualified = element.attributes.find((a) => a.local === local && a.uri === uri);
  return (qualified ?? element.attributes.find((a) => a.local === local && a.uri === ""))?.value;
}

/** The trimmed text of the first child with this local name. */
export function childText(element: XmlElement, local: string): string | undefined {
  const child = childNamed(element, local);
  return child === undefined ? undefined : child.text.trim();
}

const ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", "\"": "&quot;", "\r": "&#13;" };

/**
 * Escapes text for element content and double-quoted attributes. \r survives a parse as &#13;;
 * characters XML 1.0 cannot carry at all become U+FFFD rather than an unreadable document.
 */
export function escapeXml(value: string): string {
  return value
    .replace(/[&<>"\r]/g, (c) => ESCAPES[c]!)
    .replace(/[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, "\ufffd");
}
