// The host tools a managed network is made with (ip from iproute2, nft, dnsmasq), run without a
// shell; a missing tool is named with the Debian package that brings it.
import { execFile } from "node:child_process";

const PACKAGES: Record<string, string> = { ip: "iproute2", bridge: "iproute2", nft: "nftables", dnsmasq: "dnsmasq-base" };
const TIMEOUT_MS = 15_000;

export class NetCommandError extends Error {}

/** Runs `tool args`, with `input` on stdin; resolves with stdout, rejects with the tool's own message. */
export function runNet(tool: "ip" | "bridge" | "nft" | "dnsmasq", args: string[], input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(tool, args, { timeout: TIMEOUT_MS, env: { PATH: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", LC_ALL: "C" } }, (error, stdout, stderr) => {
      if (!error) return resolve(stdout);
      const code = (error as NodeJS.ErrnoException).code;
      if (code === "ENOENT") return reject(new NetCommandError(`${tool} is not installed; install the Debian package ${PACKAGES[tool]} (\`apt-get install ${PACKAGES[tool]}\`, or run scripts/setup.sh)`));
      reject(new NetCommandError(`${tool} ${args.join(" ")}: ${(stderr || error.message).trim().split("\n")[0]}`));
    });
    if (input !== undefined) child.stdin?.end(input);
  });
}

/** The interfaces of vmctld's network namespace: name → master bridge (or undefined). */
export async function listLinks(): Promise<Map<string, string | undefined>> {
  const links = JSON.parse(await runNet("ip", ["-j", "link", "show"])) as { ifname: string; master?: string }[];
  return new Map(links.map((l) => [l.ifname, l.master]));
}

/** Deletes an interface; one already gone is fine. */
export async function deleteLink(name: string): Promise<void> {
  try {
    await runNet("ip", ["link", "del", "dev", name]);
  } catch (error) {
    if (!/Cannot find device|does not exist/i.test((error as Error).message)) throw error;
  }
}
