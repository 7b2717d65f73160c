// HTTPS by default: a self-signed certificate made at first start (openssl), unless vmctld.toml names
// one; its SHA-256 fingerprint is what `vmctl login` pins.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { existsSync } from "node:fs";
import { mkdir, readFile, chmod } from "node:fs/promises";
import { join } from "node:path";
import { hostname } from "node:os";
import { X509Certificate } from "node:crypto";

const run = promisify(execFile);

export interface TlsMaterial { cert: Buffer; key: Buffer; fingerprint: string; generated: boolean }

export async function loadOrCreateTls(home: string, configured?: { cert: string; key: string }): Promise<TlsMaterial> {
  let certPath = configured?.cert;
  let keyPath = configured?.key;
  let generated = false;
  if (!certPath || !keyPath) {
    const dir = join(home, "tls");
    certPath = join(dir, "cert.pem");
    keyPath = join(dir, "key.pem");
    if (!existsSync(certPath) || !existsSync(keyPath)) {
      await mkdir(dir, { recursive: true, mode: 0o700 });
      const name = hostname();
      await run("openssl", [
        "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "3650",
        "-subj", `/CN=${name}/O=vmctl`, "-addext", `subjectAltName=DNS:${name},DNS:localhost,IP:127.0.0.1,IP:::1`,
        "-keyout", keyPath, "-out", certPath,
      ]);
      await chmod(keyPath, 0o600);
      generated = true;
    }
  }
  const cert = await readFile(certPath);
  const key = await readFile(keyPath);
  return { cert, key, fingerprint: new X509Certificate(cert).fingerprint256, generated };
}
