// Runs before `npm start` and `npm test` (their "pre" scripts): on a Node.js outside package.json's
// "engines", one line that says which is needed and which was found, instead of a stack trace from
// the first dependency that needs a newer one (undici 8 crashes at load on Node 20).
'use strict';
const { engines } = require('../package.json');
const satisfies = require('semver/functions/satisfies');

if (!satisfies(process.version, engines.node)) {
  process.stderr.write(
    `webex-oauth-service needs Node.js ${engines.node}; this is ${process.version}. README › Node.js says how to get 24 or 22.\n`,
  );
  process.exit(1);
}
