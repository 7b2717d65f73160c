// The shapes of the security routes (users, roles, tokens, audit, the session, tickets): declared
// once in @vmctl/api-types, re-exported so the CLI and the Host Client take them with the client.
export type { AuditEntry, AuditQuery, CreatedToken, LoginAnswer, Me, Role, SendKeyRequest, SocketTicket, Token, TokenRequest, User, UserChange } from "@vmctl/api-types";
