// A picker over the ISO library (GET /api/v1/isos): every datastore's iso/ folder, with sizes, so a
// CD drive or a new VM gets an image by choosing it rather than typing its path.
import { Button, FormSelect, FormSelectOption, HelperText, HelperTextItem } from "@patternfly/react-core";
import { client } from "../../api/http";
import { useApi } from "../../api/use-api";
import type { IsoRef } from "../../api/vm-storage";
import { formatBytes } from "../../format";
import { navigate } from "../../state/router";
import { LoadError, Loading } from "../shared/states";

const key = (iso: IsoRef) => `${iso.datastore}:${iso.path}`;

export function IsoSelect({ id, value, onChange, label = "ISO image" }: { id: string; value: IsoRef | null; onChange: (iso: IsoRef | null) => void; label?: string }) {
  const { data, error, reload } = useApi(() => client.listIsos(), ["isos"]);
  if (error && !data) return <LoadError what="the ISO library" error={error} onRetry={reload} />;
  if (!data) return <Loading what="the ISO library" lines={1} />;
  if (data.length === 0) {
    return (
      <HelperText id={id}>
        <HelperTextItem>
          The ISO library is empty. Upload an image on the <Button variant="link" isInline onClick={() => navigate("/ui/storage/isos")}>Storage page</Button>; it lists the <code>iso/</code> folder of every datastore.
        </HelperTextItem>
      </HelperText>
    );
  }
  const byKey = new Map(data.map((iso) => [key(iso), iso]));
  const several = new Set(data.map((i) => i.datastore)).size > 1;
  return (
    <FormSelect id={id} aria-label={label} value={value ? key(value) : ""} onChange={(_e, k) => { const iso = byKey.get(k); onChange(iso ? { datastore: iso.datastore, path: iso.path } : null); }}>
      <FormSelectOption value="" label="Choose an ISO image" isPlaceholder />
      {data.map((iso) => <FormSelectOption key={key(iso)} value={key(iso)} label={`${iso.name} (${formatBytes(iso.size)}${several ? `, ${iso.datastore}` : ""})`} />)}
    </FormSelect>
  );
}
