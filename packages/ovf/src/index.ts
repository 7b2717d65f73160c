// VM import and export file formats: OVA/OVF (VMware's OVF 1.0 layout), their tar container and
// manifest, and libvirt domain XML. Pure code: no daemon, no QEMU.
export * from "./errors.js";
export * from "./model.js";
export { parseOvf, diskFormat } from "./ovf-parse.js";
export { buildOvf, type BuildOvfInput, type ExportedDisk } from "./ovf-build.js";
export { parseLibvirtDomain } from "./libvirt.js";
export * from "./manifest.js";
export { readTarMembers, type TarMember, type TarReadOptions } from "./tar-read.js";
export { extractTar, type ExtractOptions, type ExtractedMember } from "./tar-extract.js";
export { createTarStream, tarSize, type TarWriteEntry } from "./tar-write.js";
export type { TarSource, TarProgress } from "./tar-source.js";
export { readOvfFolder, extractOva, createOva, type OvfPackage, type ReadPackageOptions, type OvaDisk, type CreateOvaInput } from "./ova.js";
export { checkRelativeName } from "./safe-path.js";
