// Where a new disk lives when a definition gives only its size: <vm>/<disk>.qcow2 (a raw one
// <vm>/<disk>.img), relative to the VM's datastore, in the VM's own folder. One rule for the CLI
// (`vmctl create --disk 10GiB`), the API (POST /api/v1/vms) and a disk added later; no
// dependencies, so the CLI loads only this (@vmctl/definition/disk-file-name).

export function defaultDiskFile(vm: string, disk: string, format: "qcow2" | "raw" = "qcow2"): string {
  return `${vm}/${disk}.${format === "raw" ? "img" : "qcow2"}`;
}
