import { describe, it, expect } from "vitest";
import { clashingListeners, parseProcNet } from "./host-sockets.js";

const tcp = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1 0 100 0 0 10 0
   1: 00000000:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 2 1 0 100 0 0 10 0
   2: 0100007F:9C40 0100007F:1F90 01 00000000:00000000 00:00000000 00000000     0        0 3 1 0 100 0 0 10 0
`;
const tcp6 = `  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000000000000:0050 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4 1 0 100 0 0 10 0
   1: 0000000000000000FFFF00000101A8C0:01BB 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 5 1 0 100 0 0 10 0
`;
const udp = `   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops
  10: 0101A8C0:0035 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 6 2 0 0
`;

describe("the host's listening sockets", () => {
  it("reads TCP listeners (not connections) and bound UDP sockets, IPv4 and v4-mapped IPv6", () => {
    expect(parseProcNet(tcp, "tcp")).toEqual([{ protocol: "tcp", address: "127.0.0.1", port: 8080 }, { protocol: "tcp", address: "0.0.0.0", port: 22 }]);
    expect(parseProcNet(tcp6, "tcp")).toEqual([{ protocol: "tcp", address: "::", port: 80 }, { protocol: "tcp", address: "192.168.1.1", port: 443 }]);
    expect(parseProcNet(udp, "udp")).toEqual([{ protocol: "udp", address: "192.168.1.1", port: 53 }]);
  });

  it("finds the listeners a forward would take: same protocol and port, an overlapping address", () => {
    const listeners = [...parseProcNet(tcp, "tcp"), ...parseProcNet(tcp6, "tcp"), ...parseProcNet(udp, "udp")];
    expect(clashingListeners(listeners, "tcp", 8080, undefined)).toHaveLength(1);
    expect(clashingListeners(listeners, "tcp", 8080, "127.0.0.1")).toHaveLength(1);
    expect(clashingListeners(listeners, "tcp", 8080, "192.168.1.1")).toEqual([]);
    expect(clashingListeners(listeners, "tcp", 22, "192.168.1.1")).toHaveLength(1);
    expect(clashingListeners(listeners, "tcp", 80, "10.0.0.1")).toHaveLength(1);
    expect(clashingListeners(listeners, "udp", 8080, undefined)).toEqual([]);
    expect(clashingListeners(listeners, "udp", 53, undefined)).toHaveLength(1);
  });
});
