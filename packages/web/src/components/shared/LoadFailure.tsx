// When a part of the Host Client cannot be loaded (vmctld was upgraded and the page still names the
// old files, or the connection dropped as a page opened), say so and offer a reload, instead of the
// blank page React leaves after an error nobody caught. Plain elements: it sits in the login entry.
import { Component, type ReactNode } from "react";

/** The messages browsers give for a dynamic import that failed (Chromium, Firefox, Safari). */
const CHUNK_FAILED = /dynamically imported module|Importing a module script failed|error loading dynamically imported module|Failed to fetch/i;

export class LoadFailure extends Component<{ children: ReactNode }, { error: Error | null }> {
  override state: { error: Error | null } = { error: null };

  static getDerivedStateFromError(error: unknown): { error: Error } {
    return { error: error instanceof Error ? error : new Error(String(error)) };
  }

  override render(): ReactNode {
    const { error } = this.state;
    if (!error) return this.props.children;
    const chunk = CHUNK_FAILED.test(error.message);
    return (
      <div role="alert" className="vmctl-load-failure" data-testid="load-failure">
        <h1>{chunk ? "This page could not load a part of the Host Client" : "The Host Client stopped on an error"}</h1>
        <p>{chunk
          ? "vmctld may have been upgraded since this page was opened, or the connection dropped. Reloading fetches the current version; nothing on the host has changed."
          : `${error.message}. Reloading starts the page again; nothing on the host has changed.`}</p>
        <button type="button" onClick={() => location.reload()}>Reload the page</button>
      </div>
    );
  }
}
