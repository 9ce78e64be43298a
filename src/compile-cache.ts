import { enableCompileCache } from 'node:module';

/**
 * Imported first by main.ts (and by main.bundle.ts, the production bundle's entry), so it runs
 * before Nest and the rest are loaded: Node keeps the code V8 compiles for each module in a cache on
 * disk (os.tmpdir()/node-compile-cache, or NODE_COMPILE_CACHE), and every later start, `nest start
 * --watch` restarts included, skips compiling the modules that did not change.
 * NODE_DISABLE_COMPILE_CACHE=1 turns it off. Measured in bench/RESULTS.md.
 */
enableCompileCache();
