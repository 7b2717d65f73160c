// Who caused an event and the task it belongs to, carried along the async work that records it: a
// task runs its work inside {user, task}, an API request inside {user}. A context ends with its task
// or request: what a long-lived thing started there records later (a QEMU process, a QMP socket, a
// timer, which keep the async context they were made in) is nobody's doing, and reads null.
import { AsyncLocalStorage } from "node:async_hooks";

export interface EventCause { user: string | null; task: string | null }

interface Context extends EventCause { ended: boolean }

const storage = new AsyncLocalStorage<Context>();
const NOBODY: EventCause = { user: null, task: null };

/** A context that `end` closes: events recorded in it after that read null. */
export interface OpenEventContext { readonly cause: EventCause; end(): void }

/** Runs `fn` (and all the async work it starts) inside a context naming the user and task. */
export function withEventCause<T>(cause: Partial<EventCause>, fn: (context: OpenEventContext) => T): T {
  const context: Context = { user: cause.user ?? null, task: cause.task ?? null, ended: false };
  return storage.run(context, () => fn({ cause: { user: context.user, task: context.task }, end: () => { context.ended = true; } }));
}

/** The user and task of the work running now; null for both outside any, or once its task or request has ended. */
export function currentEventCause(): EventCause {
  const context = storage.getStore();
  if (!context || context.ended) return NOBODY;
  return { user: context.user, task: context.task };
}
