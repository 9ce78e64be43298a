import {
  Inject,
  Logger,
  MiddlewareConsumer,
  Module,
  NestModule,
  OnApplicationBootstrap,
  OnApplicationShutdown,
} from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import type { NextFunction, Request, Response } from 'express';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { metricsConfig } from '../config';
import { collectProcessMetrics, httpRequests, registry } from './metrics';

/**
 * Serves /metrics on METRICS_PORT, a port of its own: the public port sits behind the load
 * balancer, and what the service counts (sign-in failures, Webex errors) is for operators only.
 */
@Module({})
export class MetricsModule implements NestModule, OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Metrics');
  private server?: Server;

  constructor(@Inject(metricsConfig.KEY) private readonly config: ConfigType<typeof metricsConfig>) {}

  /** The port metrics listen on (METRICS_PORT=0 picks a free one), or undefined when they are off. */
  get port(): number | undefined {
    return (this.server?.address() as AddressInfo | null)?.port;
  }

  async onApplicationBootstrap(): Promise<void> {
    if (this.config.port === undefined) return;
    collectProcessMetrics();
    const server = createServer((req, res) => {
      if (req.method !== 'GET' || req.url?.split('?')[0] !== '/metrics') {
        res.writeHead(404).end();
        return;
      }
      registry.metrics().then(
        (body) => res.writeHead(200, { 'Content-Type': registry.contentType }).end(body),
        () => res.writeHead(500).end(),
      );
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.config.port, this.config.host, () => resolve());
    });
    this.server = server;
    this.logger.log(`Prometheus metrics on port ${this.port}, path /metrics`);
  }

  async onApplicationShutdown(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }

  configure(consumer: MiddlewareConsumer): void {
    // Timing every request is for metrics that are served: with METRICS_PORT unset, no layer.
    if (this.config.port !== undefined) consumer.apply(countRequests).forRoutes('{*splat}');
  }
}

/** Times every request; the route label is Express' template (`/spaces/:id`), never the raw path. */
function countRequests(req: Request, res: Response, next: NextFunction): void {
  const end = httpRequests.startTimer({ method: req.method });
  res.once('finish', () => {
    // Middleware mounted on '{*splat}' sets req.route too: only a handler's route is a page.
    const route = (req.route as { path?: unknown } | undefined)?.path;
    const known = typeof route === 'string' && route !== '/{*splat}';
    end({ route: known ? route : 'unmatched', status: String(res.statusCode) });
  });
  next();
}
