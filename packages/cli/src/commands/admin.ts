// vmctl user|token|role|audit: the security objects of a host, for admins.
import type { Command } from "commander";
import { readSecret } from "../secret-input.js";
import { clientFor, type GlobalOptions } from "../context.js";
import { CliError, printJson, printTable } from "../output.js";

async function newPassword(fromStdin: boolean): Promise<string> {
  const first = await readSecret("new password: ", fromStdin);
  if (fromStdin || !process.stdin.isTTY) return first;
  if (first !== (await readSecret("again: ", false))) throw new CliError("the passwords differ; nothing changed", "bad_request");
  return first;
}

/** Changing your own password takes your current one too (vmctld checks it like a login). */
async function ownPasswordChange(fromStdin: boolean): Promise<{ currentPassword: string; password: string }> {
  if (fromStdin || !process.stdin.isTTY) {
    const [currentPassword = "", password = ""] = (await readSecret("", true)).split(/\r?\n/);
    return { currentPassword, password };
  }
  const currentPassword = await readSecret("current password: ", false);
  return { currentPassword, password: await newPassword(false) };
}

/** "30d", "12h" or an ISO time → ISO time; "never" → null. */
export function parseExpiry(text: string): string | null {
  if (text === "never") return null;
  const match = /^(\d+)([dh])$/.exec(text);
  if (match) return new Date(Date.now() + Number(match[1]) * (match[2] === "d" ? 86400_000 : 3600_000)).toISOString();
  if (Number.isNaN(Date.parse(text))) throw new CliError(`--expires: "${text}" is not 30d, 12h, an ISO time or never`, "bad_request", 2);
  return new Date(text).toISOString();
}

export function registerAdmin(program: Command, globals: () => GlobalOptions): void {
  const json = () => globals().json ?? false;
  const client = () => clientFor(globals());

  const user = program.command("user").description("local users");
  user.command("ls").description("list users").action(async () => {
    const users = await client().listUsers();
    if (json()) return printJson(users);
    printTable(["USER", "ROLE", "STATUS", "GRANTS"], users.map((u) => [u.name, u.role, u.disabled ? "disabled" : "enabled", Object.entries(u.grants).map(([vm, role]) => `${vm}:${role}`).join(" ")]));
  });
  user.command("add").description("create a user").argument("<name>").requiredOption("--role <role>", "Admin, Operator, ReadOnly or a custom role").option("--password-stdin", "read the password from standard input")
    .action(async (name: string, options: { role: string; passwordStdin?: boolean }) => {
      const created = await client().createUser(name, await newPassword(options.passwordStdin ?? false), options.role);
      if (json()) return printJson(created);
      process.stdout.write(`created ${name} (${options.role})\n`);
    });
  user.command("passwd").description("change a password (yours, with your current one; or anyone's as an admin)").argument("<name>")
    .option("--password-stdin", "read it from standard input (your own: the current password on the first line, the new one on the second)")
    .action(async (name: string, options: { passwordStdin?: boolean }) => {
      const me = await client().me();
      const own = me.user === name && me.kind !== "root";
      const changed = await client().updateUser(name, own ? await ownPasswordChange(options.passwordStdin ?? false) : { password: await newPassword(options.passwordStdin ?? false) });
      if (json()) return printJson(changed);
      process.stdout.write(`password of ${name} changed; their sessions have ended\n`);
    });
  for (const [verb, disabled] of [["disable", true], ["enable", false]] as const) {
    user.command(verb).description(`${verb} a user`).argument("<name>").action(async (name: string) => {
      const changed = await client().updateUser(name, { disabled });
      if (json()) return printJson(changed);
      process.stdout.write(`${name} ${disabled ? "disabled" : "enabled"}\n`);
    });
  }
  user.command("grant").description("give a user a role on one VM").argument("<name>").argument("<vm>").argument("<role>").action(async (name: string, vm: string, role: string) => {
    const changed = await client().setGrant(name, vm, role);
    if (json()) return printJson(changed);
    process.stdout.write(`${name} is ${role} on ${vm}\n`);
  });
  user.command("revoke").description("remove a user's grant on one VM").argument("<name>").argument("<vm>").action(async (name: string, vm: string) => {
    const changed = await client().setGrant(name, vm, null);
    if (json()) return printJson(changed);
    process.stdout.write(`${name} no longer has a grant on ${vm}\n`);
  });

  const token = program.command("token").description("API tokens for automation");
  token.command("ls").description("list tokens").action(async () => {
    const tokens = await client().listTokens();
    if (json()) return printJson(tokens);
    printTable(["ID", "NAME", "USER", "ROLE", "EXPIRES", "LAST USED", "STATUS"], tokens.map((t) => [t.id, t.name, t.user, t.role, t.expiresAt?.slice(0, 16) ?? "never", t.lastUsedAt?.slice(0, 16) ?? "-", t.revoked ? "revoked" : "active"]));
  });
  token.command("create").description("create a token; its secret is shown once").argument("<name>").requiredOption("--role <role>", "the token's role (never more than its user's)")
    .option("--expires <when>", "30d, 12h, an ISO time, or never", "90d").option("--user <user>", "for another user (admins)")
    .action(async (name: string, options: { role: string; expires: string; user?: string }) => {
      const created = await client().createToken({ name, role: options.role, expires: parseExpiry(options.expires), ...(options.user ? { user: options.user } : {}) });
      if (json()) return printJson(created);
      process.stdout.write(`${created.token}\n`);
      process.stderr.write(`token ${created.id} created; the secret above is shown only now (send it as Authorization: Bearer …)\n`);
    });
  token.command("revoke").description("revoke a token at once").argument("<id>").action(async (id: string) => {
    const revoked = await client().revokeToken(id);
    if (json()) return printJson(revoked);
    process.stdout.write(`token ${id} revoked\n`);
  });

  const role = program.command("role").description("roles and their privileges");
  role.command("ls").description("list roles").action(async () => {
    const roles = await client().listRoles();
    if (json()) return printJson(roles);
    printTable(["ROLE", "KIND", "PRIVILEGES"], roles.map((r) => [r.name, r.builtin ? "built-in" : "custom", r.privileges.join(" ")]));
  });
  role.command("set").description("define or change a custom role").argument("<name>").argument("<privileges...>").action(async (name: string, privileges: string[]) => {
    const result = { roles: await client().defineRole(name, privileges) };
    if (json()) return printJson(result);
    process.stdout.write(`role ${name}: ${privileges.join(" ")}\n`);
  });

  program.command("audit").description("the audit log: who changed what, from where, with which result")
    .option("--user <name>", "only this user's").option("-n, --limit <n>", "how many", "50")
    .action(async (options: { user?: string; limit: string }) => {
      const entries = await client().listAudit({ limit: Number(options.limit), ...(options.user ? { user: options.user } : {}) });
      if (json()) return printJson(entries);
      printTable(["TIME", "USER", "FROM", "ACTION", "TARGET", "RESULT"], entries.map((e) => [e.time.slice(0, 19), e.user, e.source, e.action, e.target ?? "-", `${e.result} (${e.status})`]));
    });
}
