import type { NestExpressApplication } from '@nestjs/platform-express';
import { join } from 'node:path';
import { ApiDocument, buildApiDocument, DOCS_PATH } from './api-docs';
import { ApiModule } from './api.module';

// Swagger UI's own files, from its npm package: nothing comes from a CDN.
const UI_DIR = join(require.resolve('swagger-ui-dist/package.json'), '..');

/** Serves Swagger UI's two files and gives the document its builder (it needs the app); called by configureApp. */
export function configureApiDocs(app: NestExpressApplication): void {
  app.get(ApiDocument).setBuilder(() => buildApiDocument(app, [ApiModule]));
  for (const file of ['swagger-ui.css', 'swagger-ui-bundle.js']) {
    app.useStaticAssets(join(UI_DIR, file), { prefix: `${DOCS_PATH}/${file}`, index: false, maxAge: '1h' });
  }
}
