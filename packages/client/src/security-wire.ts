// The shapes of the security routes (users, roles, tokens, audit, the session), as vmctld answers them.
// Kept here until @vmctl/api-types declares them; the CLI and the Host Client take them from the client.

export interface Me { user: string; name: string; kind?: string; role: string; privileges: { host: string[]; vms: Record<string, string[]> } }
export interface LoginAnswer extends Me { csrfToken: string; expiresAt: string }
export interface User { name: string; role: string; disabled: boolean; createdAt?: string; grants: Record<string, string> }
export interface UserChange { password?: string; currentPassword?: string; role?: string; disabled?: boolean }
export interface Role { name: string; builtin: boolean; privileges: string[] }
export interface Token { id: string; name: string; user: string; role: string; parent?: string | null; createdAt?: string; expiresAt: string | null; lastUsedAt: string | null; revoked: boolean }
export interface TokenRequest { name: string; role: string; expires: string | null; user?: string }
export interface CreatedToken { token: string; id: string; name: string; user: string; role: string; parent: string | null; expiresAt: string | null }
export interface AuditEntry { id: number; time: string; user: string; source: string; action: string; target: string | null; result: string; status: number }
export interface AuditQuery { user?: string; target?: string; since?: number; limit?: number }
export interface SocketTicket { ticket: string; expiresAt: string; url: string }
export type SendKeyRequest = { keys: string[]; text?: never } | { text: string; keys?: never };
