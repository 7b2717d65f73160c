// Making the VM the wizard describes: deploy a template through the clone API (a task, waited for),
// or POST the definition; a disk image copied from a datastore or uploaded from this computer goes
// into the VM's new folder and is then attached as disk0 (the API has no server-side copy, so a
// copy passes through the browser). A failure after the VM was made removes it again, so a
// refused upload leaves nothing behind. At vmcenter the definition goes to the cluster, which
// places the VM (a task, waited for) on the host with the most free memory.
import { client } from "../../api/http";
import { fileUrl, uploadFrom } from "../../api/datastores";
import { buildDefinition, copiedDiskPath, formatOf, type WizardState } from "./wizard-model";

export interface Progress { what: string; sent?: number; total?: number }

export async function createFromWizard(s: WizardState, defaultDatastore: string, onProgress: (p: Progress | null) => void, inCluster = false): Promise<void> {
  if (s.startFrom === "template") {
    onProgress({ what: `Deploying ${s.template}…` });
    const task = await client.cloneVm(s.template, { name: s.name, ...(s.linked ? { linked: true } : {}), ...(s.datastore ? { datastore: s.datastore } : {}), ...(s.start ? { start: true } : {}) });
    const done = await client.waitTask(task.id);
    if (done.state !== "success") throw new Error(done.error?.message ?? `the deploy of ${s.template} ended ${done.state}`);
    return;
  }
  const datastore = s.datastore || defaultDatastore;
  const target = copiedDiskPath(s);
  if (inCluster) {
    // The copy passes through a host's file API, which vmcenter does not forward.
    if (target) throw new Error("Through vmcenter a disk image cannot be copied into the new VM: choose an empty disk, an ISO or a kernel, or copy the image on its host.");
    onProgress({ what: "Placing and creating…" });
    const task = await client.cluster.createVm(buildDefinition(s), s.datastore || undefined);
    const done = await client.cluster.waitTask(task.id);
    if (done.state !== "success") throw new Error(done.error?.message ?? `creating ${s.name} ended ${done.state}`);
  } else {
    onProgress({ what: "Creating…" });
    await client.createVm(buildDefinition(s), s.datastore || undefined);
  }
  if (target) {
    try {
      const source = s.boot === "upload" ? s.upload!.name : s.image!.path;
      onProgress({ what: `Reading ${source}…` });
      const blob: Blob = s.boot === "upload" ? s.upload! : await fetchImage(s.image!.datastore, s.image!.path);
      const sending = uploadFrom(datastore, target, blob, 0, false, (sent) => onProgress({ what: `Copying ${source}`, sent, total: blob.size }));
      await sending.done;
      onProgress({ what: "Attaching the disk…" });
      await client.addDisk(s.name, { id: "disk0", file: target, format: formatOf(source), ...(s.bus !== "virtio" ? { bus: s.bus } : {}) });
    } catch (error) {
      await client.destroyVm(s.name).catch(() => undefined);
      throw new Error(`The disk image could not be copied, so ${s.name} was not kept: ${(error as Error).message}`, { cause: error });
    }
  }
  if (s.start) {
    onProgress({ what: "Starting…" });
    await client.power(s.name, { action: "start" });
  }
}

async function fetchImage(datastore: string, path: string): Promise<Blob> {
  const answer = await fetch(fileUrl(datastore, path), { credentials: "same-origin" });
  if (!answer.ok) throw new Error(`reading ${path} in datastore ${datastore} answered ${answer.status}`);
  return answer.blob();
}
