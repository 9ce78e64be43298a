/**
 * The product's fixed stack answering the signed-out home page with none of this service's own
 * code, layer by layer, so the bench can say what the stack alone costs per page:
 *
 *   nest:    Nest on Express (no body parsers, no logger), a controller sending the home page's bytes.
 *   session: + express-session as SessionModule mounts it (forSessionCookie, sessionOptions: memory
 *            store, run only for a request with the session cookie, the same cookie options and id).
 *   render:  + the page rendered by hbs from views/ (index.hbs in the layout partial), as the service does.
 *   required: + what the product asks of every answer, each by its maintained library: security
 *            headers (Nest's app.useSecurityHeaders(), helmet 8's defaults) and one request line per request (pino-http, to standard
 *            output through pino's asynchronous destination).
 *   rooms:   Nest + express-session with a signed-in session (from GET /start) + per request one
 *            GET /v1/rooms through HttpService (axios with a keep-alive agent) to the emulator,
 *            then the /listrooms page's bytes as they are (no render, no token handling).
 *
 * Usage: node -r ts-node/register/transpile-only bench/stack-floor.ts CONFIG.json
 */
import 'reflect-metadata';
import { HttpModule, HttpService } from '@nestjs/axios';
import { Controller, Get, Module, Req, Res } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { Request, Response } from 'express';
import session from 'express-session';
import hbs from 'hbs';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Agent } from 'node:http';
import { join } from 'node:path';
import { firstValueFrom } from 'rxjs';
import { pino } from 'pino';
import { pinoHttp } from 'pino-http';
import { BoundedMemoryStore, forSessionCookie, sessionOptions } from '../src/session';

export type StackLayer = 'nest' | 'session' | 'render' | 'required' | 'rooms';

export interface StackFloorConfig {
  layer: StackLayer;
  port: number;
  /** The service's home page: sent as is by `nest` and `session`, rendered again by `render`. */
  headers: Record<string, string>;
  body: string;
  /** rooms: the URL the service calls, and a token for it. */
  roomsUrl?: string;
  accessToken?: string;
}

const VIEWS = join(__dirname, '..', 'views');
const COOKIE_NAME = 'wxo.sid';

async function main(): Promise<void> {
  const config = JSON.parse(readFileSync(process.argv[2], 'utf8')) as StackFloorConfig;
  const body = Buffer.from(config.body, 'utf8');
  const expressSession = session(
    sessionOptions(
      { cookieName: COOKIE_NAME, secrets: [randomUUID()], secureCookie: false },
      new BoundedMemoryStore({ max: 100_000, ttlSeconds: 3600 }),
    ),
  );

  @Controller()
  class HomeController {
    @Get('/')
    home(@Res() res: Response): void {
      const req = res.req as Request & { session?: { user?: unknown } };
      // Read the session as the home page does, so nothing of express-session's work is skipped.
      if (config.layer !== 'nest' && req.session?.user) throw new Error('a visitor without a cookie has no user');
      if (config.layer === 'render' || config.layer === 'required') res.render('index', { loginHref: '/login' });
      else res.set(config.headers).end(body);
    }
  }

  /** The floor's own mark in the session (the service's SessionData fields are not used here). */
  const mark = (req: Request): { floorUser?: string } =>
    (req as unknown as { session: { floorUser?: string } }).session;

  @Controller()
  class RoomsController {
    constructor(private readonly http: HttpService) {}

    /** Starts the session, as the service's sign-in does (SessionService.start). */
    @Get('start')
    start(@Req() req: Request, @Res() res: Response): void {
      expressSession(req, res, () => {
        mark(req).floorUser = 'Floor';
        res.status(204).end();
      });
    }

    @Get('listrooms')
    async listRooms(@Req() req: Request, @Res() res: Response): Promise<void> {
      if (!mark(req).floorUser) {
        res.status(401).end();
        return;
      }
      const answer = await firstValueFrom(
        this.http.get<{ items?: unknown[] }>(config.roomsUrl ?? '', {
          headers: { authorization: `Bearer ${config.accessToken ?? ''}`, accept: 'application/json' },
        }),
      );
      if (!Array.isArray(answer.data.items)) throw new Error('no items in the /rooms answer');
      res.set(config.headers).end(body);
    }
  }

  @Module({
    imports: [HttpModule.register({ httpAgent: new Agent({ keepAlive: true }), timeout: 10_000 })],
    controllers: config.layer === 'rooms' ? [RoomsController] : [HomeController],
  })
  class FloorModule {}

  const app = await NestFactory.create<NestExpressApplication>(FloorModule, { bodyParser: false, logger: false });
  app.disable('x-powered-by');
  app.set('etag', false);
  if (config.layer === 'required') {
    app.use(pinoHttp({ logger: pino(pino.destination({ dest: 1, sync: false })) }));
    app.useSecurityHeaders();
  }
  if (config.layer !== 'nest') {
    app.use(forSessionCookie(COOKIE_NAME, expressSession));
  }
  if (config.layer === 'render' || config.layer === 'required') {
    app.setBaseViewsDir(VIEWS);
    app.setViewEngine('hbs');
    app.set('view options', { layout: false });
    hbs.registerHelper('eq', (a: unknown, b: unknown) => a === b);
    await new Promise<void>((resolve) => hbs.registerPartials(join(VIEWS, 'partials'), () => resolve()));
    app.setLocal('sandbox', false);
  }
  await app.listen(config.port, '127.0.0.1');
  process.stdout.write(`stack floor (${config.layer}) listening on ${config.port}\n`);
  const stop = (): void => void app.close().then(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

void main();
