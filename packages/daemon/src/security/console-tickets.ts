// Short-lived single-use tickets for WebSockets, bound to a VM and a purpose (as Proxmox's vncticket):
// a browser puts one in the URL instead of a long-lived secret. A ticket remembers the session or
// token that minted it and is worth only what that credential still holds, cut to its purpose.
import { randomSecret } from "./passwords.js";
import type { Privilege } from "./privileges.js";
import { can, type Credential, type Principal, type TicketPurpose } from "./principal.js";

export const TICKET_TTL_MS = 30_000;
/** Unredeemed tickets a user may hold at once; a new one beyond replaces their oldest (a loop of mints cannot grow memory). */
export const MAX_TICKETS_PER_USER = 64;

/** What each purpose needs of its minter, and what more it carries only if the minter holds it. */
export const TICKET_RIGHTS: Record<TicketPurpose, { needs: Privilege; mayAlso: Privilege }> = {
  monitor: { needs: "vm.read", mayAlso: "vm.power" },
  console: { needs: "vm.console.view", mayAlso: "vm.console.input" },
  vnc: { needs: "vm.console.view", mayAlso: "vm.console.input" },
};

export interface Ticket { user: string; via: Credential; vm: string; purpose: TicketPurpose; expires: number }

export class ConsoleTickets {
  private readonly tickets = new Map<string, Ticket>();

  issue(minter: Pick<Principal, "user" | "via">, vm: string, purpose: TicketPurpose): { ticket: string; expiresAt: string } {
    this.sweep();
    const mine = [...this.tickets].filter(([, t]) => t.user === minter.user);
    for (const [key] of mine.slice(0, Math.max(0, mine.length - MAX_TICKETS_PER_USER + 1))) this.tickets.delete(key);
    const ticket = randomSecret(24);
    const expires = Date.now() + TICKET_TTL_MS;
    this.tickets.set(ticket, { user: minter.user, via: minter.via, vm, purpose, expires });
    return { ticket, expiresAt: new Date(expires).toISOString() };
  }

  /** The ticket if it is valid for this VM and purpose; a ticket works once, replay is refused. */
  redeem(ticket: string, vm: string, purpose: TicketPurpose): Ticket | null {
    const found = this.tickets.get(ticket);
    this.tickets.delete(ticket);
    if (!found || found.expires < Date.now() || found.vm !== vm || found.purpose !== purpose) return null;
    return found;
  }

  private sweep(): void {
    const now = Date.now();
    for (const [key, ticket] of this.tickets) if (ticket.expires < now) this.tickets.delete(key);
  }
}

/**
 * The rights a ticket gives, from its minter as it is now (re-read, so a revoked token's ticket is
 * worth nothing): on its one VM, what the purpose needs, plus its extra only where the minter has it.
 */
export function ticketPrincipal(minter: Principal | null, ticket: { vm: string; purpose: TicketPurpose }): Principal | null {
  const rights = TICKET_RIGHTS[ticket.purpose];
  if (!minter || !can(minter, rights.needs, ticket.vm)) return null;
  const held = new Set<Privilege>([rights.needs]);
  if (can(minter, rights.mayAlso, ticket.vm)) held.add(rights.mayAlso);
  return {
    name: minter.name, user: minter.user, kind: "ticket", role: minter.role,
    host: new Set(), vms: new Map([[ticket.vm, held]]), via: minter.via, ticket: { vm: ticket.vm, purpose: ticket.purpose },
  };
}
