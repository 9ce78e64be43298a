import type { NestApplicationOptions, SecurityHeadersOptions } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { NextFunction, Request, Response } from 'express';
import hbs from 'hbs';
import { watch } from 'node:fs';
import { join } from 'node:path';
import { configureApiDocs } from './api';
import { FeaturesService } from './auth';
import { appConfig, oauthConfig, sandboxConfig } from './config';
import { useRequestLog } from './logging';
import { packageFile, ROOT_DIR } from './project-files';
import { SessionService } from './session';

/**
 * Options for creating the app, in main.ts and the e2e suites. No body parsers: no handler reads a
 * request body (sign-in and logout carry nothing in theirs), so a JSON and a urlencoded parser
 * would only be two more layers on every request. A handler that needs a body adds its parser.
 */
export const APP_OPTIONS = {
  bodyParser: false,
  // Two handlers for one request (e.g. AUTH_INIT_URL's redirect_uri path on a page's path) stop start-up.
  routeConflictPolicy: { duplicate: 'error', shadow: 'error' },
} as const satisfies NestApplicationOptions;

const STATIC_OPTIONS = { index: false, maxAge: '1h', fallthrough: true, redirect: false } as const;

/**
 * Everything that lives on the Express app rather than in a module. main.ts and every e2e suite
 * call this, so tests run the app exactly as it is served.
 */
export function configureApp(app: NestExpressApplication): NestExpressApplication {
  const sandbox = app.get<ConfigType<typeof sandboxConfig>>(sandboxConfig.KEY);
  const oauth = app.get<ConfigType<typeof oauthConfig>>(oauthConfig.KEY);
  const config = app.get<ConfigType<typeof appConfig>>(appConfig.KEY);

  // Every page is personal and sent with no-store: an ETag (a hash of each body) would buy nothing.
  app.set('etag', false);
  // Which proxies may tell us the client's address and scheme (X-Forwarded-*): for Secure cookies,
  // HSTS and per-client rate limits. Never used to build a redirect URI, which comes from config.
  app.set('trust proxy', config.trustProxy);
  useRequestLog(app);
  app.useSecurityHeaders(
    securityHeaders(oauth.publicOrigin.startsWith('https:'), new URL(oauth.authorizeEndpoint).origin),
  );
  app.use(hstsOverTls);
  const staticFiles: [prefix: string, path: string][] = [
    // Water.css from its npm package, served by the service itself: no CDN.
    ['/static/water.css', packageFile('water.css/out/water.min.css')],
    ['/static/', join(ROOT_DIR, 'public')],
    ['/favicon.ico', join(ROOT_DIR, 'public', 'favicon.ico')],
  ];
  for (const [prefix, path] of staticFiles) {
    // Mounted paths match in any case, like routes: the callback must not be under one.
    if (`${oauth.callbackPath.toLowerCase()}/`.startsWith(`${prefix.replace(/\/$/, '')}/`)) {
      throw new Error(
        `AUTH_INIT_URL’s redirect_uri path ${oauth.callbackPath} is under this service’s static files (${prefix}): use a path of its own, such as /oauth, in the integration and in AUTH_INIT_URL`,
      );
    }
    app.useStaticAssets(path, { ...STATIC_OPTIONS, prefix });
  }

  // The JSON API's OpenAPI document and reference page (src/api).
  configureApiDocs(app);

  app.setBaseViewsDir(join(ROOT_DIR, 'views'));
  // Given, not left to Express to require() by its name: the production build is a bundle.
  app.engine('hbs', hbs.__express.bind(hbs));
  app.setViewEngine('hbs');
  // Each view wraps its content in the layout partial, naming its title: {{#> layout title="…"}}.
  app.set('view options', { layout: false });
  const partials = join(ROOT_DIR, 'views', 'partials');
  hbs.registerPartials(partials);
  hbs.registerHelper('eq', (a: unknown, b: unknown) => a === b);
  // Views are read at each render outside production; partials are registered once, so in
  // development they are registered again when one changes (no restart needed for either).
  if (config.nodeEnv === 'development') {
    watch(partials, () => hbs.registerPartials(partials)).unref();
  }
  layoutFields(app, sandbox.enabled);
  return app;
}

/**
 * What every page's layout shows (views/partials/layout.hbs), all set here: the sandbox banner,
 * the features and the navigation of this process, and whether this request's person is signed in
 * (read when the page renders, after the session middleware has loaded the session).
 */
function layoutFields(app: NestExpressApplication, sandbox: boolean): void {
  const features = app.get(FeaturesService);
  const sessions = app.get(SessionService);
  app.setLocal('sandbox', sandbox);
  app.setLocal('features', features.forViews());
  app.setLocal('navigation', features.navigation());
  app.use((req: Request, res: Response, next: NextFunction) => {
    Object.defineProperty(res.locals, 'signedIn', { enumerable: true, get: () => sessions.isSignedIn(req.session) });
    next();
  });
}

/**
 * Nest's security headers (helmet 8's set and defaults, resolved once at start-up) with a CSP that
 * allows nothing inline: the pages have no scripts and no inline styles.
 */
export function securityHeaders(https: boolean, authorizeOrigin: string): SecurityHeadersOptions {
  return {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        // Water.css draws some form controls with data: SVGs.
        imgSrc: ["'self'", 'data:'],
        objectSrc: ["'none'"],
        baseUri: ["'none'"],
        frameAncestors: ["'none'"],
        // The sign-in may one day post to Webex's authorize page; nothing else may receive a form.
        formAction: ["'self'", authorizeOrigin],
        ...(https ? { upgradeInsecureRequests: true } : {}),
      },
    },
    referrerPolicy: { policy: 'no-referrer' },
    // Sent by hstsOverTls, and only over TLS: HSTS on plain http would be ignored at best.
    strictTransportSecurity: false,
  };
}

const HSTS = 'max-age=31536000; includeSubDomains';

/** HSTS on the requests that came over TLS (directly, or as a trusted proxy says). */
export function hstsOverTls(req: Request, res: Response, next: NextFunction): void {
  if (req.secure) res.setHeader('Strict-Transport-Security', HSTS);
  next();
}
