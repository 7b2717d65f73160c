// A download whose task must have ended before the client can hold the whole file: the stream
// keeps back its last chunk until `before` has run (the export's task recorded as success), so a
// client that reads the task as soon as its last byte arrived never sees it still running.
import { Transform, type Readable } from "node:stream";

export function beforeLastChunk(source: Readable, before: () => Promise<void>): Readable {
  let held: Buffer | undefined;
  const gate = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      const previous = held;
      held = chunk;
      callback(null, previous);
    },
    flush(callback) {
      before().then(() => callback(null, held), (error: Error) => callback(error));
    },
  });
  source.on("error", (error) => gate.destroy(error));
  return source.pipe(gate);
}
