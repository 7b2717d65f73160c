// The datastore browser: a datastore's folders and files with breadcrumbs, each folder its own
// address; upload (progress, resume), download, delete and new folder.
import { useEffect, useState, type MouseEvent } from "react";
import { Breadcrumb, BreadcrumbItem, Button, FormGroup, FormSelect, FormSelectOption, TextInput, Toolbar, ToolbarContent, ToolbarGroup, ToolbarItem } from "@patternfly/react-core";
import { Table, Tbody, Td, Th, Thead, Tr } from "@patternfly/react-table";
import FolderIcon from "@patternfly/react-icons/dist/esm/icons/folder-icon";
import FileIcon from "@patternfly/react-icons/dist/esm/icons/outlined-file-icon";
import CompactDiscIcon from "@patternfly/react-icons/dist/esm/icons/compact-disc-icon";
import HddIcon from "@patternfly/react-icons/dist/esm/icons/outlined-hdd-icon";
import UploadIcon from "@patternfly/react-icons/dist/esm/icons/upload-icon";
import type { DatastoreEntry } from "@vmctl/api-types";
import { deleteFile, fileUrl, joinPath, makeDirectory } from "../../api/datastores";
import { client } from "../../api/http";
import { useApi } from "../../api/use-api";
import { formatBytes, formatDate } from "../../format";
import { useNotify } from "../../state/notify";
import { browsePath, navigate } from "../../state/router";
import { useSession } from "../../state/session";
import { startUpload, useLandedCount } from "../../state/uploads";
import { useAction } from "../../state/use-action";
import { ActionModal } from "../shared/ActionModal";
import { FileButton } from "../shared/FileButton";
import { Empty, LoadError, Loading } from "../shared/states";
import { UploadList } from "./UploadList";

function EntryIcon({ entry }: { entry: DatastoreEntry }) {
  if (entry.type === "dir") return <FolderIcon aria-hidden="true" className="vmctl-folder-icon" />;
  if (/\.iso$/i.test(entry.name)) return <CompactDiscIcon aria-hidden="true" className="vmctl-muted" />;
  if (/\.(qcow2|img|raw|vmdk)$/i.test(entry.name)) return <HddIcon aria-hidden="true" className="vmctl-muted" />;
  return <FileIcon aria-hidden="true" className="vmctl-muted" />;
}

export function DatastoreBrowser({ datastore, path }: { datastore: string | undefined; path: string }) {
  const { can } = useSession();
  const notify = useNotify();
  const run = useAction();
  const landed = useLandedCount();
  const [version, setVersion] = useState(0);
  const stores = useApi(() => client.datastores(), ["datastores"]);
  const listing = useApi(datastore ? () => client.listFiles(datastore, path) : null, ["files", datastore, path], `${version}:${landed}`);
  const [folder, setFolder] = useState<string | null>(null);
  const [removing, setRemoving] = useState<DatastoreEntry | null>(null);
  const canWrite = can("datastore.write");
  // No datastore in the address: the first one.
  const first = stores.data?.datastores[0]?.name;
  useEffect(() => {
    if (datastore || !first) return;
    history.replaceState(null, "", browsePath(first));
    window.dispatchEvent(new PopStateEvent("popstate"));
  }, [datastore, first]);
  if (stores.error && !stores.data) return <LoadError what="the datastores" error={stores.error} onRetry={stores.reload} />;
  if (!datastore) return stores.data?.datastores.length === 0 ? <Empty title="No datastores">Add one on the Datastores tab.</Empty> : <Loading what="the datastores" lines={2} />;
  const parts = path ? path.split("/") : [];
  const go = (to: string) => navigate(browsePath(datastore, to));
  const changed = () => setVersion((v) => v + 1);
  return (
    <div className="vmctl-tab-body">
      <Toolbar>
        <ToolbarContent>
          <ToolbarItem>
            <FormSelect aria-label="Datastore" value={datastore} onChange={(_e, ds) => navigate(browsePath(ds))} style={{ minWidth: 160 }}>
              {(stores.data?.datastores ?? [{ name: datastore }]).map((ds) => <FormSelectOption key={ds.name} value={ds.name} label={ds.name} />)}
            </FormSelect>
          </ToolbarItem>
          <ToolbarItem alignSelf="center">
            <Breadcrumb aria-label="Folder" data-testid="browser-path">
              <BreadcrumbItem {...(parts.length ? { to: browsePath(datastore), onClick: (e: MouseEvent) => { e.preventDefault(); go(""); } } : { isActive: true })}>{datastore}</BreadcrumbItem>
              {parts.map((part, i) => {
                const to = parts.slice(0, i + 1).join("/");
                return i === parts.length - 1 ? <BreadcrumbItem key={to} isActive>{part}</BreadcrumbItem>
                  : <BreadcrumbItem key={to} to={browsePath(datastore, to)} onClick={(e) => { e.preventDefault(); go(to); }}>{part}</BreadcrumbItem>;
              })}
            </Breadcrumb>
          </ToolbarItem>
          {canWrite ? (
            <ToolbarGroup align={{ default: "alignEnd" }}>
              <ToolbarItem><FileButton label="Upload files" inputLabel={`Files to upload to ${datastore}/${path}`} multiple icon={<UploadIcon />} onFiles={(files) => files.forEach((f) => startUpload(datastore, path, f, notify))} /></ToolbarItem>
              <ToolbarItem><Button variant="secondary" onClick={() => setFolder("")}>New folder</Button></ToolbarItem>
            </ToolbarGroup>
          ) : null}
        </ToolbarContent>
      </Toolbar>
      <UploadList />
      {listing.error && !listing.data ? <LoadError what={`${datastore}/${path}`} error={listing.error} onRetry={listing.reload} />
        : !listing.data ? <Loading what="the folder" lines={4} />
        : listing.data.entries.length === 0 ? <Empty title="This folder is empty">{canWrite ? "Upload files into it, or make a folder." : "Nothing here yet."}</Empty>
        : (
          <Table aria-label={`Contents of ${datastore}/${path}`} variant="compact" className="vmctl-table" data-testid="browser">
            <Thead><Tr><Th>Name</Th><Th>Size</Th><Th>Modified</Th><Th screenReaderText="Actions" /></Tr></Thead>
            <Tbody>
              {listing.data.entries.map((e) => {
                const at = joinPath(path, e.name);
                return (
                  <Tr key={e.name} data-entry={e.name}>
                    <Td dataLabel="Name">
                      <span style={{ display: "inline-flex", gap: 8, alignItems: "center" }}>
                        <EntryIcon entry={e} />
                        {e.type === "dir" ? <Button variant="link" isInline component="a" href={browsePath(datastore, at)} onClick={(ev) => { ev.preventDefault(); go(at); }}>{e.name}</Button> : e.name}
                      </span>
                    </Td>
                    <Td dataLabel="Size">{e.type === "file" ? formatBytes(e.size) : <span className="vmctl-muted">folder</span>}</Td>
                    <Td dataLabel="Modified" modifier="nowrap">{formatDate(e.mtime)}</Td>
                    <Td dataLabel="Actions" isActionCell modifier="fitContent">
                      <div className="vmctl-row-actions">
                        {e.type === "file" ? <Button size="sm" variant="secondary" component="a" href={fileUrl(datastore, at)} download={e.name} aria-label={`Download ${e.name}`}>Download</Button> : null}
                        {canWrite ? <Button size="sm" variant="secondary" isDanger aria-label={`Delete ${e.name}`} onClick={() => setRemoving(e)}>Delete</Button> : null}
                      </div>
                    </Td>
                  </Tr>
                );
              })}
            </Tbody>
          </Table>
        )}
      {folder !== null ? (
        <ActionModal title={`New folder in ${datastore}/${path}`} submitLabel="Make folder" busyLabel="Making…" isDisabled={!folder.trim() || folder.includes("/")}
          onSubmit={async () => { const ok = (await run(`make folder "${folder}"`, () => makeDirectory(datastore, joinPath(path, folder.trim())))) !== undefined; if (ok) changed(); return ok; }}
          onClose={() => setFolder(null)}>
          <FormGroup label="Folder name" isRequired fieldId="folder-name"><TextInput id="folder-name" value={folder} onChange={(_e, v) => setFolder(v)} /></FormGroup>
        </ActionModal>
      ) : null}
      {removing ? (
        <ActionModal title={`Delete ${removing.type === "dir" ? "folder" : "file"} "${removing.name}"?`} danger submitLabel="Delete" busyLabel="Deleting…"
          onSubmit={async () => { const ok = (await run(`delete "${removing.name}"`, () => deleteFile(datastore, joinPath(path, removing.name)))) !== undefined; if (ok) changed(); return ok; }}
          onClose={() => setRemoving(null)}>
          <p>{removing.type === "dir" ? "Only an empty folder can be deleted." : `${formatBytes(removing.size)} are gone for good.`} A VM's folder, and a file a VM uses, are refused.</p>
        </ActionModal>
      ) : null}
    </div>
  );
}
