import { Global, Inject, MiddlewareConsumer, Module, NestModule } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import type { NextFunction, Request, Response } from 'express';
import session, { Store } from 'express-session';
import { sessionConfig } from '../config';
import { BoundedMemoryStore } from './bounded-memory.store';
import { LoginStateStore, MemoryLoginStateStore } from './login-state.store';
import { SESSION_COOKIE_NAME, SessionService } from './session.service';

export const SESSION_STORE = Symbol('SESSION_STORE');

@Global()
@Module({
  providers: [
    SessionService,
    {
      provide: SESSION_STORE,
      inject: [sessionConfig.KEY],
      useFactory: (config: ConfigType<typeof sessionConfig>) =>
        new BoundedMemoryStore({ max: config.memoryMaxSessions, ttlSeconds: config.idleTimeoutSeconds }),
    },
    { provide: LoginStateStore, useFactory: () => new MemoryLoginStateStore() },
  ],
  exports: [SessionService, LoginStateStore, SESSION_STORE],
})
export class SessionModule implements NestModule {
  constructor(
    @Inject(sessionConfig.KEY) private readonly config: ConfigType<typeof sessionConfig>,
    @Inject(SESSION_STORE) private readonly store: Store,
    private readonly sessions: SessionService,
  ) {}

  configure(consumer: MiddlewareConsumer): void {
    const middleware = session({
      name: SESSION_COOKIE_NAME,
      secret: this.config.secrets,
      store: this.store,
      resave: false,
      saveUninitialized: false,
      // Every answer pushes the idle deadline out, in the cookie and in the store.
      rolling: true,
      cookie: {
        httpOnly: true,
        // Strict would drop the cookie on the redirect back from Webex.
        sameSite: 'lax',
        secure: 'auto',
        path: '/',
        maxAge: this.config.idleTimeoutSeconds * 1000,
      },
    });
    const absoluteTimeout = (req: Request, _res: Response, next: NextFunction) => {
      if (req.session && this.sessions.isExpired(req.session)) {
        delete req.session.user;
        delete req.session.tokens;
        delete req.session.signedInAt;
        req.session.notice = 'Your session has ended. Please sign in again.';
      }
      next();
    };
    consumer.apply(middleware, absoluteTimeout).forRoutes('{*splat}');
  }
}
