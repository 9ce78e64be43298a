import { HttpModule } from '@nestjs/axios';
import { Module } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { webexConfig } from '../config';
import { nodeHttpAdapter } from './node-http.adapter';
import { WebexApiService } from './webex-api.service';

const KEEP_ALIVE = { keepAlive: true, scheduling: 'lifo', timeout: 30_000 } as const;

@Module({
  imports: [
    HttpModule.registerAsync({
      inject: [webexConfig.KEY],
      useFactory: (config: ConfigType<typeof webexConfig>) => ({
        baseURL: config.apiBaseUrl,
        // Keep-alive: one TCP (and TLS) handshake serves many calls to Webex. An idle socket is
        // closed by us first, before the server's announced Keep-Alive timeout (Node uses the hint
        // only when the agent has a timeout) and before the usual 60 s of load balancers: a request
        // sent on a socket the server is closing fails with ECONNRESET, and a token grant is never retried.
        httpAgent: new HttpAgent(KEEP_ALIVE),
        httpsAgent: new HttpsAgent(KEEP_ALIVE),
        // axios' own Node adapter (and what it drives) was ~13 % of the /listrooms CPU profile; this
        // one sends with the agents above, never follows redirects, and bounds connecting and the
        // whole exchange (see node-http.adapter.ts for what it does not do).
        adapter: nodeHttpAdapter({ connectTimeoutMs: config.connectTimeoutMs }),
      }),
    }),
  ],
  providers: [WebexApiService],
  exports: [WebexApiService],
})
export class WebexModule {}
