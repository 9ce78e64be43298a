'use strict';
// Preloaded only for bench/cold-start.ts's module count (node -r ./bench/module-count.cjs …), never
// into a timed start: counts every module loaded until the first answer is sent, CommonJS and ES
// (require(esm) included), through Node's synchronous module hooks, and writes them by package to
// BENCH_MODULE_COUNT_FILE as JSON.
const { registerHooks } = require('node:module');
const http = require('node:http');
const { writeFileSync } = require('node:fs');

const loaded = [];
registerHooks({
  load(url, context, nextLoad) {
    loaded.push(url);
    return nextLoad(url, context);
  },
});

/** `node:` for builtins, the package for a file under node_modules, else `app`. */
function ownerOf(url) {
  if (url.startsWith('node:')) return 'node:';
  const match = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  return match ? match[1] : 'app';
}

const end = http.ServerResponse.prototype.end;
http.ServerResponse.prototype.end = function (...args) {
  http.ServerResponse.prototype.end = end;
  const byOwner = {};
  for (const url of loaded) byOwner[ownerOf(url)] = (byOwner[ownerOf(url)] ?? 0) + 1;
  const sorted = Object.entries(byOwner).sort((a, b) => b[1] - a[1]);
  writeFileSync(process.env.BENCH_MODULE_COUNT_FILE, JSON.stringify({ total: loaded.length, byOwner: sorted }));
  return end.apply(this, args);
};
