// Which vmcenter replica leads: etcd3's Election (keys.election(), value = the replica's URL). Each
// replica also announces itself under a lease at /vmctl/replicas/<id> with its URL and TLS
// certificate, so that the others can tell live runners from dead ones and forward writes to the
// leader trusting exactly its certificate. A campaign that fails (its lease lost) stops leading and
// campaigns again.
import type { Logger } from "pino";
import type { Campaign, ElectionObserver, Lease } from "etcd3";
import { PREFIX, keys } from "../cluster-keys.js";
import type { ClusterStore } from "../cluster-store.js";

/** Added beside cluster-keys.ts (owner: A): one record per running replica, under its lease. */
export const replicaKeys = {
  replica: (id: string) => `${PREFIX}replicas/${id}`,
  replicas: () => `${PREFIX}replicas/`,
};

export interface ReplicaRecord { id: string; url: string; certPem: string; startedAt: string; version: string }

/** How long a dead replica's lead (and its replica record) outlives it. */
export const ELECTION_TTL_SECONDS = 5;

export interface ElectionOptions {
  store: ClusterStore;
  logger: Logger;
  onLeadership: (leading: boolean) => void;
}

export class CenterElection {
  private leading = false;
  private leader: string | null = null;
  private campaign: Campaign | undefined;
  private observer: ElectionObserver | undefined;
  private lease: Lease | undefined;
  private stopped = false;
  private retry: NodeJS.Timeout | undefined;
  private reannounce: NodeJS.Timeout | undefined;
  private reobserve: NodeJS.Timeout | undefined;
  /** Failures in a row: logged at the first and then every 30th, so an etcd outage does not flood the log. */
  private failures = 0;
  private replica: ReplicaRecord | undefined;

  constructor(private readonly options: ElectionOptions) {}

  isLeader(): boolean { return this.leading; }
  leaderUrl(): string | null { return this.leading && this.replica ? this.replica.url : this.leader; }

  /** Announces the replica (its URL known once it listens) and campaigns with its URL. */
  async start(replica: ReplicaRecord): Promise<void> {
    this.replica = replica;
    await this.announce();
    await this.observe();
    this.runCampaign();
  }

  /** The replicas whose lease is alive now. */
  async replicas(): Promise<ReplicaRecord[]> {
    return (await this.options.store.list<ReplicaRecord>(replicaKeys.replicas())).map((entry) => entry.value);
  }

  async liveReplicas(): Promise<Set<string>> {
    return new Set((await this.replicas()).map((replica) => replica.id));
  }

  /** Gives the lead up (the next replica leads at once) and removes this replica's record. */
  async resign(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retry);
    clearTimeout(this.reannounce);
    clearTimeout(this.reobserve);
    this.setLeading(false);
    await this.campaign?.resign().catch(() => {});
    await this.observer?.cancel().catch(() => {});
    await this.lease?.revoke().catch(() => {});
  }

  private async announce(): Promise<void> {
    const lease = this.options.store.lease(ELECTION_TTL_SECONDS);
    this.lease = lease;
    lease.on("lost", (error) => {
      if (this.stopped || this.lease !== lease) return;
      this.lease = undefined;
      this.warn(error, "the replica's etcd lease was lost; announcing again");
      this.announceLater();
    });
    await this.options.store.put(replicaKeys.replica(this.replica!.id), this.replica, lease);
  }

  private announceLater(): void {
    clearTimeout(this.reannounce);
    this.reannounce = setTimeout(() => {
      void this.announce().catch((error: unknown) => { this.warn(error, "could not announce this replica"); this.announceLater(); });
    }, 1000);
  }

  private warn(error: unknown, message: string): void {
    if (this.failures++ % 30 === 0) this.options.logger.warn({ err: error, failures: this.failures }, message);
  }

  private async observe(): Promise<void> {
    const election = this.options.store.etcd.election(keys.election(), ELECTION_TTL_SECONDS);
    const observer = await election.observe();
    this.observer = observer;
    this.leader = observer.leader() ?? null;
    observer.on("change", (value) => { this.leader = value ?? null; });
    observer.on("error", (error) => {
      if (this.stopped || this.observer !== observer) return;
      this.observer = undefined;
      this.warn(error, "watching the election failed; again in a second");
      this.observeLater();
    });
  }

  private observeLater(): void {
    clearTimeout(this.reobserve);
    this.reobserve = setTimeout(() => { void this.observe().catch(() => this.observeLater()); }, 1000);
  }

  private runCampaign(): void {
    if (this.stopped) return;
    const campaign = this.options.store.etcd.election(keys.election(), ELECTION_TTL_SECONDS).campaign(this.replica!.url);
    this.campaign = campaign;
    campaign.on("elected", () => {
      if (this.campaign !== campaign || this.stopped) return;
      this.options.logger.info({ replica: this.replica!.id, url: this.replica!.url }, "this vmcenter replica leads");
      this.leader = this.replica!.url;
      this.failures = 0;
      this.setLeading(true);
    });
    campaign.on("error", (error) => {
      // One retry per failed campaign, however many errors it reports.
      if (this.campaign !== campaign) return;
      this.campaign = undefined;
      this.warn(error, "the vmcenter election campaign failed; campaigning again");
      this.setLeading(false);
      if (this.leader === this.replica!.url) this.leader = null;
      void campaign.resign().catch(() => {});
      clearTimeout(this.retry);
      this.retry = setTimeout(() => this.runCampaign(), 1000);
    });
  }

  private setLeading(leading: boolean): void {
    if (this.leading === leading) return;
    this.leading = leading;
    this.options.onLeadership(leading);
  }
}
