// The three states every view can be in besides showing its data: loading, failed, empty.
import type { ComponentType, ReactNode } from "react";
import { Alert, AlertActionLink, EmptyState, EmptyStateBody, EmptyStateFooter, Skeleton } from "@patternfly/react-core";

/** Placeholder lines shaped like the content that is coming, announced to screen readers. */
export function Loading({ what, lines = 3 }: { what: string; lines?: number }) {
  return (
    <div role="status" aria-label={`Loading ${what}`} style={{ display: "grid", gap: 12, padding: "16px 0" }} data-testid="loading">
      {Array.from({ length: lines }, (_, i) => <Skeleton key={i} width={`${90 - i * 15}%`} screenreaderText={i === 0 ? `Loading ${what}` : ""} />)}
    </div>
  );
}

/** A failed read: what could not be read, why, and a way to try again (it also retries on reconnect). */
export function LoadError({ what, error, onRetry }: { what: string; error: Error | string; onRetry?: () => void }) {
  const message = typeof error === "string" ? error : error.message;
  return (
    <Alert isInline variant="danger" title={`Could not read ${what}`} style={{ margin: "16px 0" }}
      actionLinks={onRetry ? <AlertActionLink onClick={onRetry}>Try again</AlertActionLink> : undefined}>
      {message}
    </Alert>
  );
}

/** Nothing to show, said plainly, with what to do about it when there is something. */
export function Empty({ title, children, footer, icon }: { title: string; children?: ReactNode; footer?: ReactNode; icon?: ComponentType }) {
  return (
    <EmptyState titleText={title} headingLevel="h3" variant="sm" {...(icon ? { icon } : {})}>
      {children ? <EmptyStateBody>{children}</EmptyStateBody> : null}
      {footer ? <EmptyStateFooter>{footer}</EmptyStateFooter> : null}
    </EmptyState>
  );
}
