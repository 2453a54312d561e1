import type { IncomingMessage } from 'node:http';

/**
 * Reads a request's body up to `maxBytes`, for every local server (the runtime and both
 * sandboxes). A larger body is still drained, so the client reads the 413/400 answer instead of
 * a broken pipe.
 */
export async function readBody(request: IncomingMessage, maxBytes: number): Promise<Buffer | 'too_large'> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size <= maxBytes) chunks.push(buffer);
  }
  return size > maxBytes ? 'too_large' : Buffer.concat(chunks);
}
