import type { ConfigType } from '@nestjs/config';
import type { NestExpressApplication } from '@nestjs/platform-express';
import hbs from 'hbs';
import { dirname, join } from 'node:path';
import { sandboxConfig } from './config';

/** The project root: views/ and public/ sit beside src/ and dist/. */
export const ROOT_DIR = join(__dirname, '..');

const STATIC_OPTIONS = { index: false, maxAge: '1h', fallthrough: true, redirect: false } as const;

/**
 * Everything that lives on the Express app rather than in a module. main.ts and every e2e suite
 * call this, so tests run the app exactly as it is served.
 */
export function configureApp(app: NestExpressApplication): NestExpressApplication {
  const sandbox = app.get<ConfigType<typeof sandboxConfig>>(sandboxConfig.KEY);

  app.disable('x-powered-by');
  // Water.css from its npm package, served by the service itself: no CDN.
  app.useStaticAssets(join(dirname(require.resolve('water.css/package.json')), 'out', 'water.min.css'), {
    ...STATIC_OPTIONS,
    prefix: '/static/water.css',
  });
  app.useStaticAssets(join(ROOT_DIR, 'public'), { ...STATIC_OPTIONS, prefix: '/static/' });
  app.useStaticAssets(join(ROOT_DIR, 'public', 'favicon.ico'), { ...STATIC_OPTIONS, prefix: '/favicon.ico' });

  app.setBaseViewsDir(join(ROOT_DIR, 'views'));
  app.setViewEngine('hbs');
  app.set('view options', { layout: 'layouts/main' });
  hbs.registerPartials(join(ROOT_DIR, 'views', 'partials'));
  app.setLocal('sandbox', sandbox.enabled);
  return app;
}
