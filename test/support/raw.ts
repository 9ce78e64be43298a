import { connect } from 'node:net';

/** One HTTP/1.1 request written byte for byte: no client normalises the path, the headers or the body. */
export interface RawRequest {
  method?: string;
  /** The request target exactly as it goes on the request line (invalid percent-encoding, backslashes…). */
  target: string;
  /** Sent in this order. A Host header is added unless one is given here or `host` is null. */
  headers?: [string, string][];
  /** null sends no Host header at all. */
  host?: string | null;
  body?: string | Buffer;
  timeoutMs?: number;
}

export interface RawResponse {
  /** 0 when the server closed the connection without a status line. */
  status: number;
  /** Lower-case names; repeated headers keep every value. */
  headers: Record<string, string[]>;
  body: string;
  timedOut: boolean;
  /** A socket error (reset, refused), when there was one. */
  error?: string;
}

/** The first value of a response header, if any. */
export function rawHeader(response: RawResponse, name: string): string | undefined {
  return response.headers[name.toLowerCase()]?.[0];
}

/**
 * Sends `request` to 127.0.0.1:`port` over a fresh connection (Connection: close) and reads the
 * answer until the server closes it, or until `timeoutMs` (default 5 s): a hang is reported, not waited out.
 */
export function rawRequest(port: number, request: RawRequest): Promise<RawResponse> {
  const method = request.method ?? 'GET';
  const body = request.body === undefined ? undefined : Buffer.from(request.body);
  const headers: [string, string][] = [];
  const given = request.headers ?? [];
  if (request.host !== null && !given.some(([name]) => name.toLowerCase() === 'host')) {
    headers.push(['Host', request.host ?? `127.0.0.1:${port}`]);
  }
  headers.push(...given);
  if (!headers.some(([name]) => name.toLowerCase() === 'connection')) headers.push(['Connection', 'close']);
  const framed = headers.some(([name]) => /^(content-length|transfer-encoding)$/i.test(name));
  if (body && !framed) headers.push(['Content-Length', String(body.length)]);
  const head = `${method} ${request.target} HTTP/1.1\r\n${headers.map(([n, v]) => `${n}: ${v}\r\n`).join('')}\r\n`;

  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let settled = false;
    const socket = connect({ host: '127.0.0.1', port });
    const finish = (timedOut: boolean, error?: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ ...parse(Buffer.concat(chunks)), timedOut, ...(error ? { error } : {}) });
    };
    const timer = setTimeout(() => finish(true), request.timeoutMs ?? 5000);
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('end', () => finish(false));
    socket.on('close', () => finish(false));
    // The server may answer (400, 413, 431) and close before it has read everything we wrote.
    socket.on('error', (error: NodeJS.ErrnoException) => finish(false, error.code ?? error.message));
    socket.on('connect', () => {
      socket.write(Buffer.from(head, 'utf8'));
      if (body) socket.write(body);
    });
  });
}

function parse(raw: Buffer): Pick<RawResponse, 'status' | 'headers' | 'body'> {
  let text = raw.toString('latin1');
  // Skip interim answers (100 Continue to "Expect: 100-continue"): the final one is what counts.
  while (/^HTTP\/1\.[01] 1\d\d /.test(text) && text.indexOf('\r\n\r\n') >= 0) {
    const next = text.indexOf('\r\n\r\n') + 4;
    if (next >= text.length) break;
    raw = raw.subarray(next);
    text = text.slice(next);
  }
  const end = text.indexOf('\r\n\r\n');
  const headLines = (end >= 0 ? text.slice(0, end) : text).split('\r\n');
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(headLines[0] ?? '')?.[1] ?? 0);
  const headers: Record<string, string[]> = {};
  for (const line of headLines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    (headers[name] ??= []).push(line.slice(colon + 1).trim());
  }
  // latin1 maps bytes to characters one to one, so a character index is a byte index.
  const payload = end >= 0 ? raw.subarray(end + 4) : Buffer.alloc(0);
  const chunked = headers['transfer-encoding']?.some((v) => /chunked/i.test(v)) ?? false;
  return { status, headers, body: (chunked ? dechunk(payload) : payload).toString('utf8') };
}

function dechunk(payload: Buffer): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const lineEnd = payload.indexOf('\r\n', at, 'latin1');
    if (lineEnd < 0) break;
    const size = parseInt(payload.subarray(at, lineEnd).toString('latin1'), 16);
    if (!Number.isFinite(size) || size <= 0) break;
    parts.push(payload.subarray(lineEnd + 2, lineEnd + 2 + size));
    at = lineEnd + 2 + size + 2;
  }
  return Buffer.concat(parts);
}
