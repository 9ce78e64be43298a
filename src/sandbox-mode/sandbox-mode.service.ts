import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { NEEDED_SCOPES, oauthConfig, sandboxConfig } from '../config';
import { startWebexEmulator, type WebexEmulator } from '../sandbox';

/**
 * In sandbox mode the service starts its own Webex emulator and registers itself there as an
 * integration, so the whole flow runs with no account and no network.
 */
@Injectable()
export class SandboxModeService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('Sandbox');
  private emulator?: WebexEmulator;

  constructor(
    @Inject(sandboxConfig.KEY) private readonly sandbox: ConfigType<typeof sandboxConfig>,
    @Inject(oauthConfig.KEY) private readonly oauth: ConfigType<typeof oauthConfig>,
  ) {}

  async onModuleInit(): Promise<void> {
    if (!this.sandbox.enabled) return;
    this.emulator = await startWebexEmulator({
      host: this.sandbox.host,
      port: this.sandbox.port,
      clients: [
        {
          clientId: this.oauth.clientId,
          clientSecret: this.oauth.clientSecret,
          redirectUris: [this.oauth.redirectUri],
          scopes: [...NEEDED_SCOPES, 'spark:kms'],
        },
      ],
      requirePkce: true,
      log: (line) => this.logger.log(line),
    });
    this.logger.log(`Webex emulator listening on ${this.emulator.origin}`);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.emulator?.close();
    this.emulator = undefined;
  }
}
