export { WebexModule } from './webex.module';
export { WEBEX_TOKEN_ENDPOINT, WebexApiService } from './webex-api.service';
export * from './openid.types';
export * from './webex.errors';
export type * from './webex.types';
export { webexGet, webexList, type CallArgs, type WebexCall, type WebexGet, type WebexList } from './webex-call';
export * from './webex.calls';
