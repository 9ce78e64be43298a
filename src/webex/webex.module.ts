import { HttpModule } from '@nestjs/axios';
import { Module } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { webexConfig } from '../config';
import { WebexApiService } from './webex-api.service';

@Module({
  imports: [
    HttpModule.registerAsync({
      inject: [webexConfig.KEY],
      useFactory: (config: ConfigType<typeof webexConfig>) => ({
        baseURL: config.apiBaseUrl,
        maxRedirects: 0,
        // Keep-alive: one TCP (and TLS) handshake serves many calls to Webex.
        httpAgent: new HttpAgent({ keepAlive: true, scheduling: 'lifo' }),
        httpsAgent: new HttpsAgent({ keepAlive: true, scheduling: 'lifo' }),
      }),
    }),
  ],
  providers: [WebexApiService],
  exports: [WebexApiService],
})
export class WebexModule {}
