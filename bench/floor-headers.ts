/**
 * The stack floor (floor.ts) with the service's own security headers and request line in front of
 * its pages, mounted as the service mounts them (configureApp in src/app.setup.ts): the request id
 * and request line (useRequestLog) at the default LOG_LEVEL, then the security headers,
 * to standard output through the service's own pino destination. `npm run bench` measures what
 * they add per request against the plain floor. Needs the service's environment (LoggingModule
 * reads its config).
 *
 * Built by `npm run bench`; run as node bench/out/build/bench/floor-headers.js CONFIG.json.
 */
import { hstsOverTls, securityHeaders } from '../src/app.setup';
import { configModule } from '../src/config';
import { LoggingModule, useRequestLog } from '../src/logging';
import { readConfig, startFloor } from './floor';

const config = readConfig();
void startFloor(config, {
  imports: [configModule(), LoggingModule],
  mount: (app) => {
    useRequestLog(app);
    app.useSecurityHeaders(securityHeaders(false, new URL(config.authorizeUrl).origin));
    app.use(hstsOverTls);
  },
});
