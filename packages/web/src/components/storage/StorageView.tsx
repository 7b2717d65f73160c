// The Storage page: the datastores with their capacity, a browser of each one's files, and the ISO
// library. Each tab (and each folder) has its own address; uploads carry on across them.
import { PageSection, Tab, TabTitleText, Tabs, Title } from "@patternfly/react-core";
import { navigate, type StorageTab } from "../../state/router";
import { useSession } from "../../state/session";
import { DatastoresTab } from "./DatastoresTab";
import { DatastoreBrowser } from "./DatastoreBrowser";
import { IsoLibrary } from "./IsoLibrary";

const ADDRESS: Record<StorageTab, string> = { datastores: "/ui/storage", browse: "/ui/storage/browse", isos: "/ui/storage/isos" };

export default function StorageView({ tab, datastore, path }: { tab: StorageTab; datastore: string | undefined; path: string }) {
  const { can } = useSession();
  const files = can("datastore.read");
  return (
    <PageSection>
      <Title headingLevel="h1">Storage</Title>
      <Tabs activeKey={files ? tab : "datastores"} onSelect={(_e, key) => navigate(ADDRESS[key as StorageTab])} aria-label="Storage sections" mountOnEnter unmountOnExit>
        <Tab eventKey="datastores" title={<TabTitleText>Datastores</TabTitleText>}><DatastoresTab /></Tab>
        {files ? <Tab eventKey="browse" title={<TabTitleText>Datastore browser</TabTitleText>}><DatastoreBrowser datastore={datastore} path={path} /></Tab> : null}
        {files ? <Tab eventKey="isos" title={<TabTitleText>ISO library</TabTitleText>}><IsoLibrary /></Tab> : null}
      </Tabs>
    </PageSection>
  );
}
