import { Logger } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { ShutdownState } from './health/shutdown.state';

/**
 * On SIGTERM/SIGINT: readiness fails, the server stops accepting, requests under way (a code
 * exchange, say) finish, then modules close (Redis, the sandbox emulator, development stores) and
 * the process exits 0. Past the grace period, remaining connections are cut. A second signal exits at once.
 */
export function handleShutdownSignals(app: NestExpressApplication, graceMs: number): void {
  const logger = new Logger('Shutdown');
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn(`${signal} again: exiting now`);
      process.exit(1);
    }
    stopping = true;
    logger.log(`${signal}: finishing requests under way (up to ${graceMs} ms), then stopping`);
    void shutdown(app, graceMs, logger).then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error(`shutdown failed: ${error instanceof Error ? error.message : String(error)}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}

async function shutdown(app: NestExpressApplication, graceMs: number, logger: Logger): Promise<void> {
  app.get(ShutdownState).shuttingDown = true;
  const server = app.getHttpServer();
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  // Keep-alive connections that finish their request become idle: close them as they do.
  const sweeper = setInterval(() => server.closeIdleConnections(), 50);
  const deadline = new Promise<'late'>((resolve) => setTimeout(() => resolve('late'), graceMs).unref());
  if ((await Promise.race([closed, deadline])) === 'late') {
    logger.warn('grace period over: closing the connections still open');
    server.closeAllConnections();
    await closed;
  }
  clearInterval(sweeper);
  await app.close();
  logger.log('stopped');
}
