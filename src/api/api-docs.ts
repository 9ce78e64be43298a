import { Controller, Get, Header, Injectable, type INestApplication } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import {
  ApiExcludeController,
  DocumentBuilder,
  SwaggerModule,
  type OpenAPIObject,
  type SwaggerDocumentOptions,
} from '@nestjs/swagger';
import { Public } from '../auth';
import { sessionConfig } from '../config';

export const OPENAPI_PATH = '/api/openapi.json';
export const DOCS_PATH = '/api/docs';

/** The OpenAPI 3 document of the JSON API (and nothing else), written from its controllers and DTOs. */
export function buildApiDocument(app: INestApplication, include: SwaggerDocumentOptions['include']): OpenAPIObject {
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
  // Operation ids are the handlers' names (getSession, listSpaces…): what a generated client calls them.
  return SwaggerModule.createDocument(app, config, { include, operationIdFactory: (_controller, method) => method });
}

/**
 * Holds the document, built on first use from the app (which a provider cannot inject, so
 * configureApiDocs hands it over): route metadata does not change while the process runs.
 */
@Injectable()
export class ApiDocument {
  private build?: () => OpenAPIObject;
  private json?: string;

  setBuilder(build: () => OpenAPIObject): void {
    this.build = build;
  }

  text(): string {
    if (!this.build) throw new Error('configureApiDocs(app) was not called');
    return (this.json ??= JSON.stringify(this.build()));
  }
}

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

/** The document and its reference page: the same for everyone, so public. */
@Public()
@ApiExcludeController()
@Controller('api')
export class ApiDocsController {
  constructor(private readonly document: ApiDocument) {}

  @Get('openapi.json')
  @Header('Content-Type', 'application/json; charset=utf-8')
  openapi(): string {
    return this.document.text();
  }

  @Get('docs')
  @Header('Content-Type', 'text/html; charset=utf-8')
  page(): string {
    return PAGE;
  }

  @Get('docs/start.js')
  @Header('Content-Type', 'application/javascript; charset=utf-8')
  start(): string {
    return START;
  }
}
