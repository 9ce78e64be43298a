export { ApiModule } from './api.module';
export { buildApiDocument, configureApiDocs, DOCS_PATH, OPENAPI_PATH } from './api-docs';
