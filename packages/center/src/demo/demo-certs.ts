// The cluster demo's TLS: a CA of its own and a certificate per server (vmcenter, each host) signed
// by it, for 127.0.0.1 and localhost, made with the openssl command. Keys are 0600 and stay in DIR.
import { execFile } from "node:child_process";
import { chmod, writeFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { randomBytes } from "node:crypto";

const run = promisify(execFile);
const DAYS = "30";
const KEY = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];

export interface DemoCertificate { cert: string; key: string }

async function openssl(args: string[]): Promise<void> {
  try {
    await run("openssl", args, { timeout: 30_000 });
  } catch (error) {
    const e = error as { code?: string; stderr?: string; message: string };
    if (e.code === "ENOENT") throw new Error("the cluster demo makes its certificates with the openssl command, which is not installed: apt-get install openssl");
    throw new Error(`openssl ${args[0]} failed: ${e.stderr?.trim() || e.message}`);
  }
}

/** DIR/ca.pem and DIR/ca-key.pem: the demo CA that signs every demo certificate. */
export async function makeDemoCa(dir: string): Promise<DemoCertificate> {
  const cert = join(dir, "ca.pem");
  const key = join(dir, "ca-key.pem");
  await openssl(["req", "-x509", ...KEY, "-keyout", key, "-out", cert, "-days", DAYS, "-subj", "/CN=vmctl cluster demo CA",
    "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"]);
  await chmod(key, 0o600);
  await chmod(cert, 0o644);
  return { cert, key };
}

/** DIR/NAME.pem and DIR/NAME-key.pem: a server (and client) certificate for 127.0.0.1 and localhost. */
export async function makeDemoCertificate(dir: string, ca: DemoCertificate, name: string): Promise<DemoCertificate> {
  const cert = join(dir, `${name}.pem`);
  const key = join(dir, `${name}-key.pem`);
  const csr = join(dir, `${name}.csr`);
  const extensions = join(dir, `${name}.ext`);
  await writeFile(extensions, [
    "basicConstraints=critical,CA:FALSE",
    "keyUsage=critical,digitalSignature,keyEncipherment",
    "extendedKeyUsage=serverAuth,clientAuth",
    "subjectAltName=IP:127.0.0.1,DNS:localhost",
    "",
  ].join("\n"));
  try {
    await openssl(["req", ...KEY, "-keyout", key, "-out", csr, "-subj", `/CN=${name}`]);
    await chmod(key, 0o600);
    await openssl(["x509", "-req", "-in", csr, "-CA", ca.cert, "-CAkey", ca.key, "-set_serial", `0x${randomBytes(16).toString("hex")}`,
      "-days", DAYS, "-extfile", extensions, "-out", cert]);
    await chmod(cert, 0o644);
  } finally {
    await rm(csr, { force: true });
    await rm(extensions, { force: true });
  }
  return { cert, key };
}
