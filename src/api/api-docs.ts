import type { INestApplication } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import type { Express, Request, Response } from 'express';
import { join } from 'node:path';
import { sessionConfig } from '../config';
import { ApiModule } from './api.module';

export const OPENAPI_PATH = '/api/openapi.json';
export const DOCS_PATH = '/api/docs';

/** The OpenAPI 3 document of the JSON API (and nothing else), written from its controllers and DTOs. */
export function buildApiDocument(app: INestApplication): OpenAPIObject {
  const session = app.get<ConfigType<typeof sessionConfig>>(sessionConfig.KEY);
  const config = new DocumentBuilder()
    .setTitle('webex-oauth-service API')
    .setDescription(
      'A backend for front ends: the browser holds only the session cookie (sign in at `/login`), the Webex ' +
        'tokens stay on the server, and no answer carries one. Errors are RFC 9457 problem details. ' +
        '`POST` requests must come from this origin.',
    )
    .setVersion('1')
    .addCookieAuth(session.cookieName, { type: 'apiKey', in: 'cookie', name: session.cookieName }, 'cookie')
    .build();
  return SwaggerModule.createDocument(app, config, { include: [ApiModule] });
}

// Swagger UI's own files, from its npm package: nothing comes from a CDN.
const UI_DIR = join(require.resolve('swagger-ui-dist/package.json'), '..');

/*
 * The page loads Swagger UI and starts it from a script file of ours: the service's CSP allows no
 * inline script or style (Swagger UI sets styles through the DOM, which CSP does not restrict).
 * validatorUrl null: the UI would otherwise send the document to validator.swagger.io.
 */
const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>webex-oauth-service API</title>
<link rel="stylesheet" href="${DOCS_PATH}/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="${DOCS_PATH}/swagger-ui-bundle.js"></script>
<script src="${DOCS_PATH}/start.js"></script>
</body>
</html>
`;

const START = `window.ui = SwaggerUIBundle({
  url: ${JSON.stringify(OPENAPI_PATH)},
  dom_id: '#swagger-ui',
  deepLinking: true,
  validatorUrl: null,
  withCredentials: true,
});
`;

/**
 * Serves the document and its reference page. Express routes rather than a controller: the
 * document is built from the app, and these answers are the same for everyone (no session needed).
 * Built on first request and kept: route metadata does not change while the process runs.
 */
export function configureApiDocs(app: NestExpressApplication): void {
  let document: string | undefined;
  const server: Express = app.getHttpAdapter().getInstance();
  const send = (type: string, body: string) => (_req: Request, res: Response) => {
    res.setHeader('Cache-Control', 'no-cache');
    res.type(type).send(body);
  };
  server.get(OPENAPI_PATH, (req: Request, res: Response) =>
    send('application/json', (document ??= JSON.stringify(buildApiDocument(app))))(req, res),
  );
  server.get(DOCS_PATH, send('html', PAGE));
  server.get(`${DOCS_PATH}/start.js`, send('application/javascript', START));
  for (const file of ['swagger-ui.css', 'swagger-ui-bundle.js']) {
    app.useStaticAssets(join(UI_DIR, file), { prefix: `${DOCS_PATH}/${file}`, index: false, maxAge: '1h' });
  }
}
