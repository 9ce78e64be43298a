'use strict';
// `node -r ./bench/lib/transpile.cjs server.ts`: TypeScript compiled file by file as it is required
// (what ts-node's transpile-only mode does), for a server whose CPU the bench measures. Not
// ts-node itself: it loads Node's REPL, and with it the `domain` module, which replaces
// EventEmitter's init and emit for the whole process, so every request would pay for what the
// service built by `nest build` never loads.
const fs = require('node:fs');
const ts = require('typescript');

const compilerOptions = {
  ...ts.getParsedCommandLineOfConfigFile(require.resolve('../../tsconfig.json'), {}, ts.sys).options,
  module: ts.ModuleKind.CommonJS,
  sourceMap: false,
  inlineSourceMap: false,
  declaration: false,
};

require.extensions['.ts'] = (module, fileName) => {
  const { outputText } = ts.transpileModule(fs.readFileSync(fileName, 'utf8'), { compilerOptions, fileName });
  module._compile(outputText, fileName);
};
