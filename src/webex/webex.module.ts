import { HttpModule } from '@nestjs/axios';
import { Module } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { Agent, type Dispatcher, EnvHttpProxyAgent } from 'undici';
import { sandboxConfig, webexConfig } from '../config';
import { undiciAdapter } from './undici.adapter';
import { WebexApiService } from './webex-api.service';

/** Longest an idle connection to Webex is kept (Webex's own Keep-Alive hint, less 2 s, when shorter). */
const IDLE_MS = 30_000;
/**
 * WebexApiService's cap (its maxContentLength counts decoded bytes), also on the bytes received:
 * undici drops the connection as soon as more come in.
 */
const MAX_RESPONSE_BYTES = 16 * 1024 * 1024;

/**
 * The connection pool under every call to Webex: undici's, through the proxy that HTTP_PROXY /
 * HTTPS_PROXY name (lower-case forms first, as undici reads them, when the pool is made) unless
 * NO_PROXY lists the host (read on every call). An https Webex is reached through a CONNECT
 * tunnel (TLS end to end; the proxy sees only host and port), a plain-http one (the emulator) in
 * absolute form. In sandbox mode the built-in emulator on this machine is always called directly.
 *
 * - connecting (TCP, and TLS for https) is bounded by `connectTimeoutMs`, to the proxy and
 *   through it too (its answer to CONNECT is bounded by the call's deadline only);
 * - connections are kept alive: an idle one is closed 2 s before the Keep-Alive timeout the
 *   server announces, or after IDLE_MS, and checked for a pending close before it is reused;
 * - headers and body timeouts are a backstop only: each attempt has its own deadline.
 */
export function webexDispatcher(
  config: Pick<ConfigType<typeof webexConfig>, 'connectTimeoutMs' | 'timeoutMs'>,
  options: { direct?: boolean } = {},
): Dispatcher {
  const connect = { timeout: config.connectTimeoutMs };
  const settings = {
    connect,
    keepAliveTimeout: IDLE_MS,
    keepAliveMaxTimeout: IDLE_MS,
    headersTimeout: config.timeoutMs,
    bodyTimeout: config.timeoutMs,
    maxResponseSize: MAX_RESPONSE_BYTES,
    // undici 8 offers HTTP/2 by default. The client's keep-alive handling, its error mapping and the
    // tests that prove both (the emulator speaks plain http/1.1) are HTTP/1.1's: h2 waits for its own.
    allowH2: false,
  };
  if (options.direct) return new Agent(settings);
  // proxyTls bounds connecting to the proxy, requestTls the TLS handshake with Webex inside the
  // tunnel; proxyTunnel: false sends plain-http requests in absolute form, not through CONNECT
  // (which proxies commonly allow to port 443 only).
  return new EnvHttpProxyAgent({ ...settings, proxyTunnel: false, proxyTls: connect, requestTls: connect });
}

@Module({
  imports: [
    HttpModule.registerAsync({
      inject: [webexConfig.KEY, sandboxConfig.KEY],
      useFactory: (config: ConfigType<typeof webexConfig>, sandbox: ConfigType<typeof sandboxConfig>) => ({
        baseURL: config.apiBaseUrl,
        // axios on undici's pool (see webexDispatcher and undiciAdapter). WebexApiService gives
        // each attempt a `timeout`, which the adapter makes one deadline for the whole exchange,
        // to the last byte of the body. Redirects are never followed (a 3xx is the answer: the
        // token must not go to another origin).
        adapter: undiciAdapter(webexDispatcher(config, { direct: sandbox.enabled })),
        maxRedirects: 0,
        headers: { 'Accept-Encoding': 'identity' },
      }),
    }),
  ],
  providers: [WebexApiService],
  exports: [WebexApiService],
})
export class WebexModule {}
