// As src/main.bundle.ts: the compile cache on, then the app, from a file of its own.
import '../../src/compile-cache';

void import('./main.js');
