// Choosing a file in a datastore without typing its path: a datastore, then folders down to the
// file; only the files the caller can use (by extension) can be chosen.
import { useState } from "react";
import { Breadcrumb, BreadcrumbItem, Button, FormSelect, FormSelectOption, Radio } from "@patternfly/react-core";
import { Table, Tbody, Td, Th, Thead, Tr } from "@patternfly/react-table";
import FolderIcon from "@patternfly/react-icons/dist/esm/icons/folder-icon";
import { joinPath } from "../../api/datastores";
import { client } from "../../api/http";
import { useApi } from "../../api/use-api";
import type { IsoRef } from "../../api/vm-storage";
import { formatBytes } from "../../format";
import { Empty, LoadError, Loading } from "../shared/states";

export function FilePicker({ id, accept, value, onChange, initialDatastore }: { id: string; accept: RegExp; value: IsoRef | null; onChange: (file: IsoRef | null) => void; initialDatastore?: string }) {
  const stores = useApi(() => client.datastores(), ["datastores"]);
  const [datastore, setDatastore] = useState(initialDatastore ?? "");
  const [dir, setDir] = useState("");
  const shown = datastore || stores.data?.datastores[0]?.name || "";
  const listing = useApi(shown ? () => client.listFiles(shown, dir) : null, ["files", shown, dir]);
  if (stores.error && !stores.data) return <LoadError what="the datastores" error={stores.error} onRetry={stores.reload} />;
  if (!stores.data) return <Loading what="the datastores" lines={1} />;
  const open = (path: string) => { setDir(path); onChange(null); };
  const parts = dir ? dir.split("/") : [];
  const entries = listing.data?.entries.filter((e) => e.type === "dir" || accept.test(e.name)) ?? [];
  return (
    <div id={id} className="vmctl-picker">
      <div style={{ display: "flex", gap: 12, alignItems: "center", marginBottom: 8 }}>
        <FormSelect aria-label="Datastore to browse" value={shown} style={{ maxWidth: 200 }} onChange={(_e, ds) => { setDatastore(ds); open(""); }}>
          {stores.data.datastores.map((ds) => <FormSelectOption key={ds.name} value={ds.name} label={ds.name} />)}
        </FormSelect>
        <Breadcrumb aria-label="Folder">
          <BreadcrumbItem><Button variant="link" isInline onClick={() => open("")}>{shown}</Button></BreadcrumbItem>
          {parts.map((part, i) => (
            <BreadcrumbItem key={i} isActive={i === parts.length - 1}>
              {i === parts.length - 1 ? part : <Button variant="link" isInline onClick={() => open(parts.slice(0, i + 1).join("/"))}>{part}</Button>}
            </BreadcrumbItem>
          ))}
        </Breadcrumb>
      </div>
      <div className="vmctl-picker__list">
        {listing.error && !listing.data ? <LoadError what="the folder" error={listing.error} onRetry={listing.reload} />
          : !listing.data ? <Loading what="the folder" lines={2} />
          : entries.length === 0 ? <Empty title="Nothing to choose here">No folder and no file of the right kind in this folder.</Empty>
          : (
            <Table variant="compact" aria-label={`Files in ${shown}/${dir}`}>
              <Thead><Tr><Th screenReaderText="Choose" /><Th>Name</Th><Th>Size</Th></Tr></Thead>
              <Tbody>
                {entries.map((e) => {
                  const path = joinPath(dir, e.name);
                  const chosen = value?.datastore === shown && value.path === path;
                  return (
                    <Tr key={e.name} isRowSelected={chosen}>
                      <Td style={{ width: 40 }}>{e.type === "file" ? <Radio id={`${id}-${path}`} name={`${id}-file`} aria-label={`Choose ${e.name}`} isChecked={chosen} onChange={() => onChange({ datastore: shown, path })} /> : <FolderIcon aria-hidden="true" />}</Td>
                      <Td dataLabel="Name">{e.type === "dir" ? <Button variant="link" isInline onClick={() => open(path)}>{e.name}/</Button> : e.name}</Td>
                      <Td dataLabel="Size">{e.type === "file" ? formatBytes(e.size) : ""}</Td>
                    </Tr>
                  );
                })}
              </Tbody>
            </Table>
          )}
      </div>
    </div>
  );
}
