// @ts-check
const { join } = require('node:path');
const service = require('../../rspack.config.js');

/**
 * The service's rspack configuration for this app's entry alone, written to bench/out/empty-app.
 * @param {import('@rspack/core').Configuration} options
 * @param {typeof import('@rspack/core')} rspack
 * @returns {import('@rspack/core').Configuration}
 */
module.exports = (options, rspack) => {
  const config = service(options, rspack);
  return {
    ...config,
    entry: { main: './bench/empty-app/main.bundle.ts' },
    output: { ...config.output, path: join(__dirname, '..', 'out', 'empty-app') },
  };
};
