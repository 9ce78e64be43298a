import {
  ArgumentsHost,
  Catch,
  Controller,
  ExceptionFilter,
  Get,
  Header,
  HttpException,
  UseFilters,
} from '@nestjs/common';
import { HealthCheck, HealthCheckService, HealthIndicatorService } from '@nestjs/terminus';
import type { Response } from 'express';
import { Public } from '../auth';
import { SessionStoreHealth } from '../session';
import { ShutdownState } from './shutdown.state';

/** Health answers are for machines: JSON with terminus' shape, never the HTML error page. */
@Catch(HttpException)
export class HealthJsonFilter implements ExceptionFilter {
  catch(exception: HttpException, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<Response>();
    res.status(exception.getStatus()).setHeader('Cache-Control', 'no-store').json(exception.getResponse());
  }
}

@Public()
@UseFilters(HealthJsonFilter)
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    private readonly store: SessionStoreHealth,
    private readonly shutdown: ShutdownState,
  ) {}

  /** The process answers: restart it if not. Checks nothing outside the process. */
  @Get('live')
  @Header('Cache-Control', 'no-store')
  @HealthCheck()
  live() {
    return this.health.check([]);
  }

  /** Worth sending traffic to: the session store answers and no shutdown is under way. Webex is not checked. */
  @Get('ready')
  @Header('Cache-Control', 'no-store')
  @HealthCheck()
  ready() {
    return this.health.check([
      async () => {
        const indicator = this.indicators.check('sessionStore');
        try {
          await this.store.ping();
          return indicator.up({ kind: this.store.kind });
        } catch {
          return indicator.down({ kind: this.store.kind, message: 'session store is not answering' });
        }
      },
      () => {
        const indicator = this.indicators.check('lifecycle');
        return this.shutdown.shuttingDown ? indicator.down({ message: 'shutting down' }) : indicator.up();
      },
    ]);
  }
}
