// @ts-check
/**
 * `nest build`'s rspack configuration (nest-cli.json: builder rspack, bundleDependencies): the
 * production artefact is the service and its dependencies in a few files, which Node loads much
 * faster than thousands of modules (bench/RESULTS.md › Cold start). This adds to the Nest CLI's
 * defaults what they cannot know.
 * @param {import('@rspack/core').Configuration} options the Nest CLI's defaults
 * @param {typeof import('@rspack/core')} rspack
 * @returns {import('@rspack/core').Configuration}
 */
module.exports = (options, rspack) => ({
  ...options,
  // dist/main.js turns the compile cache on before it loads the service (src/main.bundle.ts). The
  // standalone emulator (README › Sandbox, and the benchmarks' Webex) is a program of its own.
  entry: { main: './src/main.bundle.ts', 'sandbox/cli': './src/sandbox/cli.ts' },
  output: { ...options.output, filename: '[name].js' },
  // An import() names the file it loads as Node will find it once compiled: main.js for main.ts.
  resolve: { ...options.resolve, extensionAlias: { '.js': ['.ts', '.js'] } },
  // Nest 12's packages are ES modules: import.meta.dirname (@nestjs/terminus' gRPC check) must become
  // the bundle's __dirname in CommonJS output, where import.meta does not parse. __dirname stays Node's.
  node: { ...options.node, __dirname: 'eval-only', __filename: 'eval-only' },
  // What production mode does, less setting NODE_ENV at build time (the environment decides): only
  // the code that is used, minified. Names stay: Nest and the logs show classes and functions by name.
  optimization: {
    ...options.optimization,
    providedExports: true,
    usedExports: true,
    sideEffects: true,
    innerGraph: true,
    concatenateModules: true,
    minimize: true,
    minimizer: [
      new rspack.SwcJsMinimizerRspackPlugin({
        minimizerOptions: {
          compress: { keep_classnames: true, keep_fnames: true },
          mangle: { keep_classnames: true, keep_fnames: true },
        },
      }),
    ],
  },
  plugins: [
    ...(options.plugins ?? []),
    // @nestjs/terminus imports the TypeORM indicator's peer only when that indicator is used.
    new rspack.IgnorePlugin({ resourceRegExp: /^@nestjs\/typeorm$/ }),
  ],
});
