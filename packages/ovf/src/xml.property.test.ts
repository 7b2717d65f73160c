// Whatever XML arrives, the importers answer with a result or an OvfError, never another exception.
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { parseOvf } from "./ovf-parse.js";
import { parseLibvirtDomain } from "./libvirt.js";
import { parseManifest } from "./manifest.js";
import { OvfError } from "./errors.js";
import { escapeXml, parseXml } from "./xml.js";

function onlyOvfErrors(run: () => unknown): void {
  try {
    run();
  } catch (error) {
    if (!(error instanceof OvfError)) throw error;
  }
}

const names = fc.constantFrom("Envelope", "References", "File", "DiskSection", "Disk", "VirtualSystem", "VirtualHardwareSection", "Item", "rasd:ResourceType", "rasd:InstanceID", "rasd:Parent", "rasd:HostResource", "rasd:VirtualQuantity", "rasd:AllocationUnits", "rasd:ResourceSubType", "rasd:Address", "Name", "vmw:Config", "vmctl:Definition", "vmctl:Toml", "domain", "name", "memory", "vcpu", "os", "devices", "disk", "source", "target", "interface", "__proto__", "constructor");
const attributeNames = fc.constantFrom("ovf:href", "ovf:id", "ovf:diskId", "ovf:fileRef", "ovf:capacity", "ovf:capacityAllocationUnits", "ovf:format", "ovf:size", "vmw:key", "vmw:value", "type", "unit", "file", "dev", "bus", "device", "machine", "address", "__proto__");
const texts = fc.oneof(
  fc.constantFrom("3", "4", "17", "10", "6", "byte * 2^30", "ovf:/disk/d1", "../../etc/passwd", "/etc/shadow", "http://x/y", "efi", "1e400", "-1", "99999999999999999999", "&amp;", "&#0;", "&#x110000;", "&lt;", "&bogus;", "<!DOCTYPE x>", "<!ENTITY a 'b'>", "<![CDATA[ <x> ]]>", "<?pi x?>", "<!-- c -->", "]]>", "\u0000", "\ud800", "${prop}"),
  fc.string({ maxLength: 12 }),
);

interface Tree { name: string; attributes: Array<[string, string]>; children: Array<Tree | string> }
const tree: fc.Arbitrary<Tree> = fc.letrec<{ node: Tree }>((tie) => ({
  node: fc.record({
    name: names,
    attributes: fc.array(fc.tuple(attributeNames, texts), { maxLength: 3 }),
    children: fc.array(fc.oneof({ maxDepth: 5, depthIdentifier: "tree" }, texts, tie("node")), { maxLength: 4 }),
  }),
})).node;

const NAMESPACES = 'xmlns="http://schemas.dmtf.org/ovf/envelope/1" xmlns:ovf="http://schemas.dmtf.org/ovf/envelope/1" xmlns:rasd="urn:r" xmlns:vmw="http://www.vmware.com/schema/ovf" xmlns:vmctl="urn:vmctl:ovf:1"';
function render(node: Tree, top: boolean, escape: boolean): string {
  const attributes = node.attributes.map(([name, value]) => ` ${name}="${escape ? escapeXml(value) : value}"`).join("");
  const body = node.children.map((child) => (typeof child === "string" ? (escape ? escapeXml(child) : child) : render(child, false, escape))).join("");
  return `<${node.name}${top ? ` ${NAMESPACES}` : ""}${attributes}>${body}</${node.name}>`;
}

const parsers = [parseOvf, parseLibvirtDomain, (text: string) => parseManifest(text)];

describe("hostile input", () => {
  it("random strings", () => {
    fc.assert(fc.property(fc.string({ maxLength: 300, unit: "binary" }), (text) => {
      for (const parse of parsers) onlyOvfErrors(() => parse(text));
    }), { numRuns: 300 });
  }, 60_000);

  it("random element trees, escaped (well-formed) or raw (mostly not)", () => {
    fc.assert(fc.property(tree, fc.boolean(), fc.constantFrom("", '<?xml version="1.0"?>\n', "<!DOCTYPE Envelope>"), (root, escape, prolog) => {
      const text = prolog + render(root, true, escape);
      for (const parse of parsers) onlyOvfErrors(() => parse(text));
    }), { numRuns: 600 });
  }, 60_000);

  it("escaped text survives a parse unchanged (or as U+FFFD where XML cannot carry it)", () => {
    fc.assert(fc.property(fc.string({ maxLength: 80, unit: "binary" }), (text) => {
      const parsed = parseXml(`<a t="${escapeXml(text)}">${escapeXml(text)}</a>`, "test");
      const expected = text.replace(/[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, "\ufffd");
      expect(parsed.text).toBe(expected);
      expect(parsed.attributes[0]!.value).toBe(expected.replace(/[\t\n]/g, " "));
    }), { numRuns: 300 });
  }, 60_000);

  it("refuses deep nesting and entity declarations anywhere", () => {
    expect(() => parseXml(`${"<a>".repeat(100)}${"</a>".repeat(100)}`, "test")).toThrow(/deeper than 64/);
    expect(() => parseXml("<a><!-- <!ENTITY x 'y'> --></a>", "test")).toThrow(OvfError);
  });
});
