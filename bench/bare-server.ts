/**
 * The reference servers the service is compared with: plain node:http doing only the I/O a
 * request needs, on the same core as the service would be.
 *
 *   home:  writes the home page's bytes (same status line, headers and body).
 *   rooms: per request, the same GET /v1/rooms call the service makes (same query, bearer token,
 *          keep-alive agent), reads the answer whole, then writes the /listrooms page's bytes.
 *          It does not parse or render: that is the work the service adds over the physical limit.
 *
 * Usage: node -r ts-node/register/transpile-only bench/bare-server.ts CONFIG.json
 */
import http from 'node:http';
import { readFileSync } from 'node:fs';

export interface BareServerConfig {
  mode: 'home' | 'rooms';
  port: number;
  headers: Record<string, string>;
  body: string;
  /** rooms mode: the URL the service calls, and a token for it. */
  roomsUrl?: string;
  accessToken?: string;
}

function main(): void {
  const config = JSON.parse(readFileSync(process.argv[2], 'utf8')) as BareServerConfig;
  const body = Buffer.from(config.body, 'utf8');
  const headers = { ...config.headers, 'content-length': String(body.length) };
  const agent = new http.Agent({ keepAlive: true, scheduling: 'lifo' });
  const upstream = config.roomsUrl ? new URL(config.roomsUrl) : undefined;
  const upstreamHeaders = { authorization: `Bearer ${config.accessToken ?? ''}`, accept: 'application/json' };

  const server = http.createServer((_req, res) => {
    if (!upstream) {
      res.writeHead(200, headers).end(body);
      return;
    }
    const call = http.get(upstream, { agent, headers: upstreamHeaders }, (answer) => {
      const chunks: Buffer[] = [];
      answer.on('data', (chunk: Buffer) => chunks.push(chunk));
      answer.on('end', () => {
        if (answer.statusCode === 200 && Buffer.concat(chunks).length > 0) res.writeHead(200, headers).end(body);
        else res.writeHead(502).end();
      });
    });
    call.on('error', () => res.writeHead(502).end());
  });
  server.keepAliveTimeout = 5000;
  server.listen(config.port, '127.0.0.1', () =>
    process.stdout.write(`bare ${config.mode} server listening on ${config.port}\n`),
  );
  const stop = (): void => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
    agent.destroy();
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main();
