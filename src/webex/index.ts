export { WebexModule } from './webex.module';
export { WebexApiService } from './webex-api.service';
export * from './webex.errors';
export type * from './webex.types';
