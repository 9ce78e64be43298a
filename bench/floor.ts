/**
 * The stack floor: the service's pages made by its fixed stack with none of its own code, the
 * reference `npm run bench` measures each page against in the same run.
 *
 *   - Nest on Express (no body parsers, no logger, no ETag: as the service);
 *   - express-session with the service's store type (BoundedMemoryStore, its size and idle TTL)
 *     and cookie, run only for a request that carries the cookie, as SessionModule mounts it;
 *   - views/ rendered by hbs with the layout fields the service gives them (passed in by the bench)
 *     and its dates formatted by the service's own formatDate (src/common/format-date.ts);
 *   - Webex (the emulator) called through @nestjs/axios' HttpService with a keep-alive agent.
 *
 * Pages: GET / (index.hbs, signed out or in); sign-in as GET /login (a session holding a state and
 * a PKCE verifier, 302 to the authorize URL) and GET /oauth (state checked, the code exchanged at
 * /v1/access_token, GET /v1/people/me, a new session id holding the person and the tokens, 303 to
 * /); GET /listrooms (GET /v1/rooms with the session's token, list-rooms.hbs from its items).
 * Left out, being the service's own: the security headers and the request line (floor-headers.ts
 * adds the service's), the token store and its encryption, the pending sign-in store, token
 * refresh, paging, schema checks, error pages, rate limits, metrics.
 *
 * Built by `npm run bench` (bench/tsconfig.build.json); run as node bench/out/build/bench/floor.js CONFIG.json.
 */
import 'reflect-metadata';
import { HttpModule, HttpService } from '@nestjs/axios';
import {
  BadRequestException,
  Controller,
  Get,
  Inject,
  Module,
  type ModuleMetadata,
  Query,
  Render,
  Req,
  Res,
  Session,
  UnauthorizedException,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { Request, RequestHandler, Response } from 'express';
import session, { type Session as ExpressSession } from 'express-session';
import hbs from 'hbs';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Agent } from 'node:http';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { firstValueFrom } from 'rxjs';
import { formatDate } from '../src/common/format-date';
import { BoundedMemoryStore } from '../src/session/bounded-memory.store';

export interface FloorConfig {
  port: number;
  /** The emulator's origin, and the integration the floor signs in with. */
  webex: string;
  authorizeUrl: string;
  clientId: string;
  clientSecret: string;
  redirectUri: string;
  scopes: string[];
  /** The service's session settings (its config's defaults). */
  session: { cookieName: string; secret: string; max: number; ttlSeconds: number };
  /** Webex's `max` for a list, the service's page size. */
  pageSize: number;
  /** The service's views/, and the app locals its layout reads (features, navigation, sandbox). */
  views: string;
  locals: Record<string, unknown>;
}

type FloorSession = ExpressSession & {
  signIn?: { state: string; verifier: string };
  user?: { id: string; displayName: string };
  tokens?: { accessToken: string; refreshToken: string; expiresAt: number };
};

const CONFIG = Symbol('FloorConfig');
const SESSION = Symbol('express-session');
@Controller()
class FloorController {
  constructor(
    @Inject(HttpService) private readonly http: HttpService,
    @Inject(CONFIG) private readonly config: FloorConfig,
    @Inject(SESSION) private readonly expressSession: RequestHandler,
  ) {}

  @Get()
  @Render('index')
  home(@Session() session?: FloorSession) {
    return session?.user ? { user: session.user, signedIn: true } : { loginHref: '/login', signedIn: false };
  }

  @Get('login')
  async login(@Req() req: Request, @Res() res: Response): Promise<void> {
    if (!req.session) await new Promise((resolve) => this.expressSession(req, res, resolve));
    const signIn = { state: randomBytes(32).toString('base64url'), verifier: randomBytes(32).toString('base64url') };
    (req.session as FloorSession).signIn = signIn;
    const url = new URL(this.config.authorizeUrl);
    url.search = new URLSearchParams({
      client_id: this.config.clientId,
      response_type: 'code',
      redirect_uri: this.config.redirectUri,
      scope: this.config.scopes.join(' '),
      state: signIn.state,
      code_challenge: createHash('sha256').update(signIn.verifier).digest('base64url'),
      code_challenge_method: 'S256',
    }).toString();
    res.redirect(302, url.toString());
  }

  @Get('oauth')
  async callback(@Req() req: Request, @Res() res: Response, @Query() { code, state }: Record<string, string>) {
    const pending = (req.session as FloorSession | undefined)?.signIn;
    if (!pending || pending.state !== state) throw new BadRequestException();
    const { clientId, clientSecret, redirectUri, webex } = this.config;
    const form = { grant_type: 'authorization_code', client_id: clientId, client_secret: clientSecret, code };
    const body = new URLSearchParams({ ...form, redirect_uri: redirectUri, code_verifier: pending.verifier });
    const { data: tokens } = await firstValueFrom(
      this.http.post<{ access_token: string; refresh_token: string; expires_in: number }>(
        `${webex}/v1/access_token`,
        body.toString(),
        { headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' } },
      ),
    );
    const { data: me } = await firstValueFrom(
      this.http.get<{ id: string; displayName: string }>(`${webex}/v1/people/me`, {
        headers: { authorization: `Bearer ${tokens.access_token}`, accept: 'application/json' },
      }),
    );
    await promisify((done: (error: unknown) => void) => req.session.regenerate(done))();
    Object.assign(req.session, {
      user: { id: me.id, displayName: me.displayName },
      tokens: {
        accessToken: tokens.access_token,
        refreshToken: tokens.refresh_token,
        expiresAt: Date.now() + tokens.expires_in * 1000,
      },
    });
    res.redirect(303, '/');
  }

  @Get('listrooms')
  @Render('list-rooms')
  async listRooms(@Session() session?: FloorSession) {
    const tokens = session?.tokens;
    if (!tokens) throw new UnauthorizedException();
    const { data } = await firstValueFrom(
      this.http.get<{ items: { id: string; title: string; type: string; lastActivity?: string }[] }>(
        `${this.config.webex}/v1/rooms?max=${this.config.pageSize}&sortBy=lastactivity`,
        { headers: { authorization: `Bearer ${tokens.accessToken}`, accept: 'application/json' } },
      ),
    );
    const rooms = data.items.map((room) => ({
      id: room.id,
      title: room.title,
      type: room.type === 'direct' ? 'Direct' : 'Group',
      lastActivity: formatDate(room.lastActivity),
    }));
    return { rooms, summary: `${rooms.length} space${rooms.length === 1 ? '' : 's'}`, signedIn: true };
  }
}

/** express-session as the service configures it (sessionOptions in src/session/session.module.ts). */
function sessionMiddleware({ session: options }: FloorConfig): RequestHandler {
  return session({
    name: options.cookieName,
    secret: options.secret,
    store: new BoundedMemoryStore({ max: options.max, ttlSeconds: options.ttlSeconds }),
    resave: false,
    saveUninitialized: false,
    rolling: false,
    genid: () => randomUUID(),
    cookie: { httpOnly: true, sameSite: 'lax', secure: 'auto', path: '/' },
  });
}

/**
 * Starts the floor; `extra` adds modules and Express middleware in front of its pages
 * (floor-headers.ts: the service's own headers and request line).
 */
export async function startFloor(
  config: FloorConfig,
  extra: { imports?: ModuleMetadata['imports']; mount?: (app: NestExpressApplication) => void } = {},
): Promise<void> {
  const expressSession = sessionMiddleware(config);
  @Module({
    imports: [
      HttpModule.register({ httpAgent: new Agent({ keepAlive: true }), timeout: 10_000 }),
      ...(extra.imports ?? []),
    ],
    controllers: [FloorController],
    providers: [
      { provide: CONFIG, useValue: config },
      { provide: SESSION, useValue: expressSession },
    ],
  })
  class FloorModule {}

  const app = await NestFactory.create<NestExpressApplication>(FloorModule, { bodyParser: false, logger: false });
  app.set('etag', false);
  extra.mount?.(app);
  app.use((req: Request, res: Response, next: () => void) =>
    req.headers.cookie?.includes(config.session.cookieName) ? expressSession(req, res, next) : next(),
  );
  app.setBaseViewsDir(config.views);
  app.setViewEngine('hbs');
  app.set('view options', { layout: false });
  hbs.registerHelper('eq', (a: unknown, b: unknown) => a === b);
  await new Promise<void>((resolve) => hbs.registerPartials(join(config.views, 'partials'), () => resolve()));
  for (const [name, value] of Object.entries(config.locals)) app.setLocal(name, value);
  await app.listen(config.port, '127.0.0.1');
  process.once('SIGTERM', () => void app.close().then(() => process.exit(0)));
}

export const readConfig = (): FloorConfig => JSON.parse(readFileSync(process.argv[2], 'utf8')) as FloorConfig;

if (require.main === module) void startFloor(readConfig());
