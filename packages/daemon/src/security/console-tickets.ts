// Short-lived single-use tickets for WebSockets, bound to a user, a VM and a purpose (as Proxmox's
// vncticket): a browser puts one in the URL instead of a long-lived secret.
import { randomSecret } from "./passwords.js";

export const TICKET_TTL_MS = 30_000;

interface Ticket { user: string; vm: string; purpose: string; expires: number }

export class ConsoleTickets {
  private readonly tickets = new Map<string, Ticket>();

  issue(user: string, vm: string, purpose: string): { ticket: string; expiresAt: string } {
    this.sweep();
    const ticket = randomSecret(24);
    const expires = Date.now() + TICKET_TTL_MS;
    this.tickets.set(ticket, { user, vm, purpose, expires });
    return { ticket, expiresAt: new Date(expires).toISOString() };
  }

  /** The ticket's user if it is valid for this VM and purpose; a ticket works once, replay is refused. */
  redeem(ticket: string, vm: string, purpose: string): string | null {
    const found = this.tickets.get(ticket);
    this.tickets.delete(ticket);
    if (!found || found.expires < Date.now() || found.vm !== vm || found.purpose !== purpose) return null;
    return found.user;
  }

  private sweep(): void {
    const now = Date.now();
    for (const [key, ticket] of this.tickets) if (ticket.expires < now) this.tickets.delete(key);
  }
}
