// vmctl login https://host:8443: pins the server's certificate on first use (warning loudly if it
// ever changes, like ssh), logs in, and keeps an API token for later commands.
import type { Command } from "commander";
import { connect } from "node:tls";
import { hostname } from "node:os";
import { X509Certificate } from "node:crypto";
import { VmctlClient } from "@vmctl/client";
import type { GlobalOptions } from "../context.js";
import { CliError, printJson } from "../output.js";
import { readCredentials, writeCredentials, normalizeUrl, credentialsPath } from "../credentials.js";
import { readSecret } from "../secret-input.js";

function serverCertificate(url: URL): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: url.hostname, port: Number(url.port || 443), servername: /^[\d.:]+$/.test(url.hostname) ? "" : url.hostname, rejectUnauthorized: false }, () => {
      const raw = socket.getPeerCertificate().raw;
      socket.end();
      resolve(`-----BEGIN CERTIFICATE-----\n${raw.toString("base64").match(/.{1,64}/g)!.join("\n")}\n-----END CERTIFICATE-----\n`);
    });
    socket.on("error", (error) => reject(new CliError(`cannot reach ${url.host}: ${error.message}`, "unreachable")));
  });
}

export function registerLogin(program: Command, globals: () => GlobalOptions): void {
  program.command("login").description("log in to a vmctld over HTTPS and keep a token (~/.config/vmctl, mode 0600)").argument("<url>", "e.g. https://host:8443")
    .option("-u, --user <name>", "user name", "admin")
    .option("--password-stdin", "read the password from standard input")
    .option("--accept-new-certificate", "trust a server certificate that differs from the one pinned before")
    .action(async (rawUrl: string, options: { user: string; passwordStdin?: boolean; acceptNewCertificate?: boolean }) => {
      const url = normalizeUrl(rawUrl);
      if (!url.startsWith("https://")) throw new CliError("vmctld serves the network only over HTTPS: give an https:// URL", "bad_request", 2);
      const cert = await serverCertificate(new URL(url));
      const fingerprint = new X509Certificate(cert).fingerprint256;
      const saved = readCredentials();
      const previous = saved.logins[url];
      if (previous && previous.fingerprint !== fingerprint) {
        process.stderr.write(`@@@ WARNING: THE CERTIFICATE OF ${url} HAS CHANGED @@@\n  pinned:  ${previous.fingerprint}\n  offered: ${fingerprint}\nSomeone may be intercepting the connection, or the server's certificate was replaced.\n`);
        if (!options.acceptNewCertificate) throw new CliError("refusing to log in; check the fingerprint on the server (its tls-fingerprint file), then rerun with --accept-new-certificate", "certificate_changed");
      } else if (!previous && !globals().json) {
        // With --json the fingerprint is in the answer, and stderr carries only an error.
        process.stderr.write(`pinning the certificate of ${url}\n  SHA-256 ${fingerprint}\n`);
      }
      const password = await readSecret(`password for ${options.user}@${new URL(url).host}: `, options.passwordStdin ?? false);
      const anonymous = new VmctlClient({ url, pinnedCert: cert });
      // The password opens a session, the session makes a token for later commands, and then ends.
      const { login: body, client: session } = await anonymous.openSession(options.user, password);
      const expires = new Date(Date.now() + 90 * 86400_000).toISOString();
      const token = await session.createToken({ name: `vmctl-cli-${hostname()}`.replace(/[^A-Za-z0-9_.-]/g, "-").slice(0, 64), role: body.role, expires });
      await session.logout();
      saved.logins[url] = { url, user: options.user, token: token.token, tokenId: token.id, cert, fingerprint };
      saved.current = url;
      writeCredentials(saved);
      if (globals().json) return printJson({ url, user: options.user, role: body.role, fingerprint, tokenExpires: expires, credentials: credentialsPath() });
      process.stdout.write(`logged in to ${url} as ${options.user} (${body.role}); token valid until ${expires.slice(0, 10)}\n`);
    });
}
