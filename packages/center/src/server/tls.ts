// vmcenter's HTTPS certificate: the one given (--tls-cert/--tls-key; replicas that share one trust
// each other by it too), else a self-signed one made once in $home/tls/ with the openssl CLI.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { existsSync } from "node:fs";
import { chmod, mkdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { hostname } from "node:os";
import { X509Certificate } from "node:crypto";

const run = promisify(execFile);

export interface CenterTls { cert: string; key: string; fingerprint: string }

export async function centerTls(home: string, given?: { cert: string; key: string }): Promise<CenterTls> {
  let certPath = given?.cert;
  let keyPath = given?.key;
  if (!certPath || !keyPath) {
    const dir = join(home, "tls");
    certPath = join(dir, "cert.pem");
    keyPath = join(dir, "key.pem");
    if (!existsSync(certPath) || !existsSync(keyPath)) {
      await mkdir(dir, { recursive: true, mode: 0o700 });
      const name = hostname();
      await run("openssl", [
        "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "3650",
        "-subj", `/CN=${name}/O=vmctl vmcenter`, "-addext", `subjectAltName=DNS:${name},DNS:localhost,IP:127.0.0.1,IP:::1`,
        "-keyout", keyPath, "-out", certPath,
      ]);
      await chmod(keyPath, 0o600);
    }
  }
  const cert = await readFile(certPath, "utf8");
  const key = await readFile(keyPath, "utf8");
  return { cert, key, fingerprint: new X509Certificate(cert).fingerprint256 };
}
