import type { Readable } from "node:stream";
import type { FastifyReply, FastifyRequest } from "fastify";

/** The largest refused upload body read to its end, so that its client sees the answer. */
export const DRAIN_REFUSED_BODY_BYTES = 64 * 1024 * 1024;

/**
 * An upload refused before its whole body came. A body small enough is read and dropped, so a client
 * still sending it reads the answer rather than a broken pipe (a close at once raced the answer);
 * past that, the connection ends rather than drain gigabytes.
 */
export function endRefusedBody(request: FastifyRequest, reply: FastifyReply, body: Readable | undefined): void {
  if (request.raw.complete) return;
  const declared = Number(request.headers["content-length"]);
  if (body && Number.isSafeInteger(declared) && declared <= DRAIN_REFUSED_BODY_BYTES) body.resume();
  else void reply.header("connection", "close");
}
