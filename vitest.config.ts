// Projects: unit (pure code beside the sources, no processes), system (real QEMU, real sockets, the
// built daemon and CLI), cluster (several hosts, etcd and vmcenter) and slow (the Debian guest).
// Workspace imports resolve to sources so unit tests need no build.
import { defineConfig } from "vitest/config";
import { fileURLToPath } from "node:url";

const packages = ["api-types", "definition", "qmp", "qemu", "guest", "client", "center", "daemon", "cli", "ovf"];
const source = (file: string) => fileURLToPath(new URL(`./packages/${file}`, import.meta.url));
// Exact matches, so that a subpath export (@vmctl/api-types/states) maps to its own source file.
const alias = [
  ...packages.map((name) => ({ find: new RegExp(`^@vmctl/${name}$`), replacement: source(`${name}/src/index.ts`) })),
  { find: /^@vmctl\/api-types\/states$/, replacement: source("api-types/src/states.ts") },
  { find: /^@vmctl\/api-types\/errors$/, replacement: source("api-types/src/errors.ts") },
  { find: /^@vmctl\/center\/demo$/, replacement: source("center/src/demo/cluster-demo.ts") },
  { find: /^@vmctl\/client\/browser$/, replacement: source("client/src/browser.ts") },
  { find: /^@vmctl\/definition\/sizes$/, replacement: source("definition/src/sizes.ts") },
  { find: /^@vmctl\/definition\/disk-file-name$/, replacement: source("definition/src/disk-file-name.ts") },
];

// The slow tier (a Debian guest with systemd, sshd and cloud-init under TCG, a minute a boot) runs
// when VMCTL_SLOW_TESTS=1 (npm test and `npm run test:slow` set it); a plain `vitest run` leaves it out.
const slow = process.env.VMCTL_SLOW_TESTS === "1"
  ? [{ resolve: { alias }, test: { name: "slow", sequence: { groupOrder: 3 }, include: ["test/system-slow/**/*.test.ts"], environment: "node", testTimeout: 600_000, hookTimeout: 1_800_000,
    // The harness's vmctld (TestHost) needs the built daemon and CLI and the demo guest's datastore.
    globalSetup: ["test/system/global-setup.ts"] } }]
  : [];

export default defineConfig({
  resolve: { alias },
  test: {
    projects: [
      { resolve: { alias }, test: { name: "unit", include: ["packages/*/src/**/*.test.ts"], environment: "node", sequence: { groupOrder: 0 } } },
      {
        resolve: { alias },
        test: {
          name: "system",
          sequence: { groupOrder: 1 },
          include: ["test/system/**/*.test.ts"],
          environment: "node",
          testTimeout: 120_000,
          hookTimeout: 120_000,
          // What a user waits for (a disk grown, a row updated) may take seconds on two busy cores:
          // expect.poll's 1 s default made browser scenarios fail under load, not the product.
          expect: { poll: { timeout: 15_000 } },
          // Guests run under TCG on 2 cores: a few files at once keeps boots near 2 s.
          maxWorkers: 3,
          globalSetup: ["test/system/global-setup.ts"],
        },
      },
      {
        resolve: { alias },
        test: {
          // Several vmctld, a real etcd and vmcenter on loopback (test/cluster/cluster-harness.ts): after
          // system, before slow. Each file starts a whole cluster (etcd, vmcenter, three hosts and their
          // guests), so files run one at a time.
          name: "cluster",
          sequence: { groupOrder: 2 },
          include: ["test/cluster/**/*.test.ts"],
          environment: "node",
          testTimeout: 300_000,
          hookTimeout: 300_000,
          expect: { poll: { timeout: 30_000 } },
          maxWorkers: 1,
          // The system tier's set-up (the built daemon and CLI, the demo guest), and the built vmcenter.
          globalSetup: ["test/cluster/global-setup.ts"],
        },
      },
      ...slow,
    ],
  },
});
