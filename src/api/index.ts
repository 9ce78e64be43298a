export { ApiModule } from './api.module';
export { buildApiDocument, DOCS_PATH, OPENAPI_PATH } from './api-docs';
export { configureApiDocs } from './api-docs.setup';
