import http from 'node:http';

export interface HttpResult {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export interface RequestOptions {
  method?: string;
  headers?: http.OutgoingHttpHeaders;
  body?: string;
  agent?: http.Agent;
  timeoutMs?: number;
}

/**
 * One HTTP/1.1 exchange, body read whole. Redirects are never followed: the flows look at each hop.
 * A request on a reused keep-alive socket that the server closed meanwhile is sent once more, as
 * browsers do (Node's documented pattern: `req.reusedSocket` and ECONNRESET).
 */
export async function request(url: string | URL, options: RequestOptions = {}): Promise<HttpResult> {
  try {
    return await exchange(url, options);
  } catch (error) {
    if ((error as { reusedSocket?: boolean }).reusedSocket) return exchange(url, options);
    throw error;
  }
}

function exchange(url: string | URL, options: RequestOptions): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      { method: options.method ?? 'GET', headers: options.headers, agent: options.agent },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }),
        );
      },
    );
    req.setTimeout(options.timeoutMs ?? 15_000, () => req.destroy(new Error(`timed out: ${String(url)}`)));
    req.on('error', (error: NodeJS.ErrnoException) => {
      const stale = req.reusedSocket && (error.code === 'ECONNRESET' || error.message === 'socket hang up');
      reject(stale ? Object.assign(error, { reusedSocket: true }) : error);
    });
    req.end(options.body);
  });
}

/** JSON in, JSON out; throws unless 2xx. */
export async function requestJson<T>(url: string, method = 'GET', body?: unknown, agent?: http.Agent): Promise<T> {
  const text = body === undefined ? undefined : JSON.stringify(body);
  const res = await request(url, {
    method,
    agent,
    body: text,
    headers: text === undefined ? { accept: 'application/json' } : { 'content-type': 'application/json' },
  });
  if (res.status < 200 || res.status >= 300)
    throw new Error(`${method} ${url} → ${res.status}: ${res.body.slice(0, 200)}`);
  return JSON.parse(res.body) as T;
}

/** The `name=value` part of each Set-Cookie header. */
export function cookiesOf(headers: http.IncomingHttpHeaders): Map<string, string> {
  const jar = new Map<string, string>();
  for (const line of headers['set-cookie'] ?? []) {
    const pair = line.split(';', 1)[0];
    const eq = pair.indexOf('=');
    if (eq > 0) jar.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim());
  }
  return jar;
}

export function cookieHeader(jar: Map<string, string>): string {
  return [...jar].map(([name, value]) => `${name}=${value}`).join('; ');
}
