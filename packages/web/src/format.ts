// Sizes and durations as people read them.
import { humanSize } from "@vmctl/definition/sizes";

/** 10737418240 → "10 GiB"; 268435456 → "256 MiB". */
export const formatBytes = (bytes: number): string => humanSize(bytes, " ");

/** The time since `startedAt` (an ISO date): "42 s", "5 min", "3 h 12 min", "2 d 4 h". */
export function formatUptime(startedAt: string | undefined, now = Date.now()): string {
  if (!startedAt) return "-";
  const s = Math.max(0, Math.floor((now - Date.parse(startedAt)) / 1000));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
  return `${Math.floor(s / 86_400)} d ${Math.floor((s % 86_400) / 3600)} h`;
}

/** A moment as people read it in a table: "Nov 24, 2026, 8:12 PM" in their own locale. */
export function formatDate(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? "-" : date.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}
