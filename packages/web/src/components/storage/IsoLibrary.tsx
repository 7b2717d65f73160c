// The ISO library: the iso/ folder of every datastore, with size, date and SHA-256 (computed by
// vmctld in the background; shown as it arrives), and an upload straight into a datastore's iso/.
import { useEffect, useState } from "react";
import { Button, ClipboardCopy, FormSelect, FormSelectOption, SearchInput, Spinner, Toolbar, ToolbarContent, ToolbarGroup, ToolbarItem } from "@patternfly/react-core";
import { Table, Tbody, Td, Th, Thead, Tr } from "@patternfly/react-table";
import CompactDiscIcon from "@patternfly/react-icons/dist/esm/icons/compact-disc-icon";
import UploadIcon from "@patternfly/react-icons/dist/esm/icons/upload-icon";
import { fileUrl } from "../../api/datastores";
import { client } from "../../api/http";
import { useApi } from "../../api/use-api";
import { formatBytes, formatDate } from "../../format";
import { useNotify } from "../../state/notify";
import { browsePath, navigate } from "../../state/router";
import { useSession } from "../../state/session";
import { startUpload, useLandedCount } from "../../state/uploads";
import { FileButton } from "../shared/FileButton";
import { Empty, LoadError, Loading } from "../shared/states";
import { UploadList } from "./UploadList";

/** Checksums are computed in the background and announce nothing: read again while some are pending. */
const PENDING_POLL_MS = 2000;

export function IsoLibrary() {
  const { can } = useSession();
  const notify = useNotify();
  const landed = useLandedCount();
  const [tick, setTick] = useState(0);
  const { data, error, reload } = useApi(() => client.listIsos(), ["isos"], `${landed}:${tick}`);
  const stores = useApi(() => client.datastores(), ["datastores"]);
  const [target, setTarget] = useState("");
  const [filter, setFilter] = useState("");
  const pending = data?.some((i) => i.checksumPending) ?? false;
  useEffect(() => {
    if (!pending) return;
    const timer = window.setTimeout(() => setTick((t) => t + 1), PENDING_POLL_MS);
    return () => window.clearTimeout(timer);
  }, [pending, data]);
  const into = target || stores.data?.datastores[0]?.name || "";
  const shown = (data ?? []).filter((i) => i.name.toLowerCase().includes(filter.trim().toLowerCase()));
  return (
    <div className="vmctl-tab-body">
      <Toolbar>
        <ToolbarContent>
          <ToolbarItem><SearchInput aria-label="Filter ISO images by name" placeholder="Filter by name" value={filter} onChange={(_e, v) => setFilter(v)} onClear={() => setFilter("")} /></ToolbarItem>
          {can("datastore.write") && into ? (
            <ToolbarGroup align={{ default: "alignEnd" }}>
              <ToolbarItem alignSelf="center"><label htmlFor="iso-target" className="vmctl-muted">Upload to</label></ToolbarItem>
              <ToolbarItem>
                <FormSelect id="iso-target" value={into} onChange={(_e, v) => setTarget(v)} style={{ minWidth: 140 }}>
                  {(stores.data?.datastores ?? []).map((d) => <FormSelectOption key={d.name} value={d.name} label={`${d.name}/iso`} />)}
                </FormSelect>
              </ToolbarItem>
              <ToolbarItem><FileButton label="Upload ISO" inputLabel="ISO image to upload" accept=".iso,application/x-iso9660-image" multiple icon={<UploadIcon />} onFiles={(files) => files.forEach((f) => startUpload(into, "iso", f, notify))} /></ToolbarItem>
            </ToolbarGroup>
          ) : null}
        </ToolbarContent>
      </Toolbar>
      <UploadList />
      {error && !data ? <LoadError what="the ISO library" error={error} onRetry={reload} />
        : !data ? <Loading what="the ISO library" lines={3} />
        : shown.length === 0 ? (
          <Empty title={data.length ? "No ISO image matches" : "No ISO images yet"} icon={CompactDiscIcon}
            footer={data.length ? <Button variant="link" onClick={() => setFilter("")}>Clear the filter</Button> : undefined}>
            {data.length ? "Change or clear the filter." : "Upload an installer image: every datastore's iso/ folder is listed here, and CD drives and new VMs pick from it."}
          </Empty>
        ) : (
          <Table aria-label="ISO images" variant="compact" className="vmctl-table" data-testid="iso-library">
            <Thead><Tr><Th>Name</Th><Th modifier="fitContent">Datastore</Th><Th modifier="fitContent">Size</Th><Th>Modified</Th><Th width={30}>SHA-256</Th><Th screenReaderText="Actions" /></Tr></Thead>
            <Tbody>
              {shown.map((iso) => (
                <Tr key={`${iso.datastore}:${iso.path}`} data-iso={iso.name}>
                  <Td dataLabel="Name" modifier="nowrap"><span style={{ display: "inline-flex", gap: 8, alignItems: "center" }}><CompactDiscIcon aria-hidden="true" className="vmctl-muted" /><strong>{iso.name}</strong></span></Td>
                  <Td dataLabel="Datastore">
                    <Button variant="link" isInline component="a" href={browsePath(iso.datastore, "iso")} onClick={(e) => { e.preventDefault(); navigate(browsePath(iso.datastore, "iso")); }}>{iso.datastore}</Button>
                  </Td>
                  <Td dataLabel="Size" modifier="nowrap">{formatBytes(iso.size)}</Td>
                  <Td dataLabel="Modified" modifier="nowrap">{formatDate(iso.mtime)}</Td>
                  <Td dataLabel="SHA-256" data-testid="checksum" data-sha256={iso.sha256 ?? ""}>
                    {iso.sha256
                      ? <ClipboardCopy isReadOnly hoverTip="Copy the full SHA-256" clickTip="Copied" variant="inline-compact" truncation={{ position: "middle", trailingNumChars: 8 }} isCode className="vmctl-checksum" textAriaLabel={`SHA-256 of ${iso.name}`} toggleAriaLabel={`Copy the SHA-256 of ${iso.name}`}>{iso.sha256}</ClipboardCopy>
                      : <span className="vmctl-muted" style={{ display: "inline-flex", gap: 8, alignItems: "center" }}><Spinner size="sm" aria-label={`Computing the SHA-256 of ${iso.name}`} /> computing…</span>}
                  </Td>
                  <Td dataLabel="Actions" isActionCell>
                    <div className="vmctl-row-actions"><Button size="sm" variant="secondary" component="a" href={fileUrl(iso.datastore, iso.path)} download={iso.name} aria-label={`Download ${iso.name}`}>Download</Button></div>
                  </Td>
                </Tr>
              ))}
            </Tbody>
          </Table>
        )}
    </div>
  );
}
