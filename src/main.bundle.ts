// The production bundle's entry point (rspack.config.js), which nest build writes to dist/main.js.
// It turns Node's compile cache on, then loads main.ts: the bundler puts what is imported this way
// in a file of its own, so the service's code and its dependencies are compiled after the cache is
// on, and every later start reads them from it (src/compile-cache.ts; bench/RESULTS.md › Cold start).
import './compile-cache';

void import('./main.js');
