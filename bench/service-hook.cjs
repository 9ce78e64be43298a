'use strict';
// Preloaded (node -r ./bench/service-hook.cjs …) into the service or the floor only for the bench's
// diagnostics, never for a measured figure. Signals Nest's enableShutdownHooks() does not take:
// - SIGWINCH: the first starts V8's CPU profiler (the one behind --cpu-prof), the second writes the
//   .cpuprofile to BENCH_PROFILE. Only the window between them is profiled, and no clean exit is
//   needed (Nest's shutdown hook re-raises the signal, so --cpu-prof would write nothing). With
//   BENCH_PROFILE_NOW=1 the profiler starts at once: a profile of the start-up.
// - SIGURG: with --expose-gc, two full GCs, then the memory figures as JSON in BENCH_MEMORY.
// Files appear whole (written, then renamed): the bench waits for them.
const fs = require('node:fs');
const inspector = require('node:inspector');

const session = new inspector.Session();
session.connect();
let running = false;

function writeWhole(file, text) {
  fs.writeFileSync(`${file}.part`, text);
  fs.renameSync(`${file}.part`, file);
}

function start() {
  running = true;
  session.post('Profiler.enable', () =>
    session.post('Profiler.setSamplingInterval', { interval: 500 }, () =>
      session.post('Profiler.start', () => writeWhole(`${process.env.BENCH_PROFILE}.started`, '')),
    ),
  );
}

process.on('SIGWINCH', () => {
  if (!running) return start();
  running = false;
  session.post('Profiler.stop', (error, result) => {
    writeWhole(
      process.env.BENCH_PROFILE,
      error ? JSON.stringify({ error: error.message }) : JSON.stringify(result.profile),
    );
  });
});
if (process.env.BENCH_PROFILE_NOW === '1') start();

process.on('SIGURG', () => {
  if (typeof global.gc === 'function') {
    global.gc();
    global.gc();
  }
  const rss = Number(/^VmRSS:\s+(\d+)/m.exec(fs.readFileSync('/proc/self/status', 'utf8'))[1]) * 1024;
  const { heapUsed, external } = process.memoryUsage();
  writeWhole(process.env.BENCH_MEMORY, JSON.stringify({ rss, heapUsed, external }));
});
