// The consoles' own settings, kept in this browser (localStorage) and shared live between the VM
// page and a console in its own window: the graphical console's scaling, the serial console's
// font size and colours.
import { useCallback, useEffect, useState } from "react";

export type ScaleMode = "fit" | "actual";
export const SCALE_KEY = "vmctl.console.scale";
export const FONT_SIZE_KEY = "vmctl.terminal.fontSize";
export const SCHEME_KEY = "vmctl.terminal.colours";

export const FONT_SIZES = [10, 12, 13, 14, 16, 18, 20, 24] as const;
export const DEFAULT_FONT_SIZE = 14;

export interface Scheme { label: string; background: string; foreground: string; cursor: string; selectionBackground: string }
export const SCHEMES = {
  dark: { label: "Dark", background: "#151515", foreground: "#f0f0f0", cursor: "#f0f0f0", selectionBackground: "#4d5258" },
  light: { label: "Light", background: "#ffffff", foreground: "#151515", cursor: "#151515", selectionBackground: "#b8d7f5" },
  "solarized-dark": { label: "Solarized dark", background: "#002b36", foreground: "#93a1a1", cursor: "#93a1a1", selectionBackground: "#073642" },
  "solarized-light": { label: "Solarized light", background: "#fdf6e3", foreground: "#586e75", cursor: "#586e75", selectionBackground: "#eee8d5" },
  "high-contrast": { label: "High contrast", background: "#000000", foreground: "#ffffff", cursor: "#ffff00", selectionBackground: "#1aebff" },
} satisfies Record<string, Scheme>;
export type SchemeName = keyof typeof SCHEMES;

const CHANGED = "vmctl-console-pref";

const read = (key: string): string | null => {
  try { return window.localStorage.getItem(key); } catch { return null; }
};

/**
 * A value kept in localStorage under `key`; what is stored is used only when `parse` accepts it
 * (a hand-edited or old value falls back to the default). Another window's change arrives live.
 */
export function useStored<T>(key: string, fallback: T, parse: (raw: string) => T | undefined): [T, (value: T) => void] {
  const load = useCallback(() => { const raw = read(key); return (raw === null ? undefined : parse(raw)) ?? fallback; }, [key, fallback, parse]);
  const [value, setValue] = useState<T>(load);
  useEffect(() => {
    // Another window's change comes as a storage event; this page's (another component) as ours.
    const heard = (event: StorageEvent) => { if (event.key === key) setValue(load()); };
    const ours = (event: Event) => { if ((event as CustomEvent<{ key: string; value: T }>).detail.key === key) setValue((event as CustomEvent<{ key: string; value: T }>).detail.value); };
    window.addEventListener("storage", heard);
    window.addEventListener(CHANGED, ours);
    return () => { window.removeEventListener("storage", heard); window.removeEventListener(CHANGED, ours); };
  }, [key, load]);
  const store = useCallback((next: T) => {
    try { window.localStorage.setItem(key, String(next)); } catch { /* private mode: kept for this page only */ }
    window.dispatchEvent(new CustomEvent(CHANGED, { detail: { key, value: next } }));
  }, [key]);
  return [value, store];
}

export const parseScale = (raw: string): ScaleMode | undefined => (raw === "fit" || raw === "actual" ? raw : undefined);
export const parseFontSize = (raw: string): number | undefined => (FONT_SIZES as readonly number[]).includes(Number(raw)) ? Number(raw) : undefined;
export const parseScheme = (raw: string): SchemeName | undefined => (Object.hasOwn(SCHEMES, raw) ? raw as SchemeName : undefined);

export const useScaleMode = () => useStored<ScaleMode>(SCALE_KEY, "fit", parseScale);
export const useFontSize = () => useStored<number>(FONT_SIZE_KEY, DEFAULT_FONT_SIZE, parseFontSize);
export const useScheme = () => useStored<SchemeName>(SCHEME_KEY, "dark", parseScheme);
