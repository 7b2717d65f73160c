// The console tickets minted through vmcenter (POST /api/v1/vms/{name}/console, forwarded to the
// owning host): the host's own single-use tickets, remembered here with who asked for each, so that
// the WebSocket that redeems one at vmcenter knows its user (to re-attach it on another host after a
// migration). In memory: a ticket lives 30 s and its WebSocket comes back to the same replica.
import type { ClusterRole } from "../cluster-token.js";

export type TicketPurpose = "console" | "vnc" | "monitor";

export interface RememberedTicket {
  user: string;
  role: ClusterRole;
  /** The principal's name for logs ("admin", "admin (token ci)"). */
  name: string;
  vm: string;
  purpose: TicketPurpose;
  /** The host that minted it: the only one that redeems it. */
  hostId: string;
  expires: number;
}

/** Tickets one user may hold here at once; a new one beyond replaces their oldest. */
export const MAX_TICKETS_PER_USER = 64;
/** Tickets all users may hold here at once. */
export const MAX_TICKETS = 10_000;
/** The longest vmcenter keeps a ticket, whatever the host's answer says. */
const MAX_TICKET_MS = 120_000;

/** The purpose of a WebSocket path (/ws/vms/NAME, …/console, …/vnc), as the host tells them apart. */
export function purposeOfPath(path: string): TicketPurpose {
  const bare = path.split("?")[0]!;
  return bare.endsWith("/console") ? "console" : bare.endsWith("/vnc") ? "vnc" : "monitor";
}

export class TicketMemory {
  private readonly tickets = new Map<string, RememberedTicket>();

  remember(ticket: string, entry: Omit<RememberedTicket, "expires">, expiresAt: string | undefined): void {
    this.sweep();
    const now = Date.now();
    const parsed = expiresAt ? Date.parse(expiresAt) : Number.NaN;
    const expires = Math.min(Number.isFinite(parsed) ? parsed : now + 30_000, now + MAX_TICKET_MS);
    const mine = [...this.tickets].filter(([, t]) => t.user === entry.user);
    for (const [key] of mine.slice(0, Math.max(0, mine.length - MAX_TICKETS_PER_USER + 1))) this.tickets.delete(key);
    if (this.tickets.size >= MAX_TICKETS) this.tickets.delete(this.tickets.keys().next().value!);
    this.tickets.set(ticket, { ...entry, expires });
  }

  /** The ticket if it is known, unexpired, for this VM and purpose; forgotten either way (single use). */
  redeem(ticket: string, vm: string, purpose: TicketPurpose): RememberedTicket | null {
    const found = this.tickets.get(ticket);
    this.tickets.delete(ticket);
    if (!found || found.expires < Date.now() || found.vm !== vm || found.purpose !== purpose) return null;
    return found;
  }

  get size(): number {
    return this.tickets.size;
  }

  private sweep(): void {
    const now = Date.now();
    for (const [key, ticket] of this.tickets) if (ticket.expires < now) this.tickets.delete(key);
  }
}
