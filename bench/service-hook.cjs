'use strict';
// Preloaded into the service only for the bench's diagnostics (node -r ./bench/service-hook.cjs dist/main.js),
// never for the measured figures. Signals Nest's enableShutdownHooks() does not take (it takes SIGUSR2):
// - SIGWINCH: the first starts V8's CPU profiler (the one behind --cpu-prof), the second writes the
//   .cpuprofile to BENCH_PROFILE_FILE. Only the load window is profiled, and no clean exit is needed
//   (Nest's shutdown hook re-raises the signal, so --cpu-prof would write nothing).
// - SIGURG: with --expose-gc, a full GC, then one line "bench-memory: {json}" with the heap after it.
const fs = require('node:fs');
const inspector = require('node:inspector');

const file = process.env.BENCH_PROFILE_FILE;
let session;
let running = false;

process.on('SIGWINCH', () => {
  if (!session) {
    session = new inspector.Session();
    session.connect();
  }
  if (!running) {
    running = true;
    session.post('Profiler.enable', () =>
      session.post('Profiler.setSamplingInterval', { interval: 500 }, () =>
        session.post('Profiler.start', () => process.stdout.write('bench-profile: started\n')),
      ),
    );
    return;
  }
  running = false;
  session.post('Profiler.stop', (error, result) => {
    if (error || !file) {
      process.stdout.write(`bench-profile: failed ${error ? error.message : 'no BENCH_PROFILE_FILE'}\n`);
      return;
    }
    fs.writeFileSync(file, JSON.stringify(result.profile));
    process.stdout.write('bench-profile: written\n');
  });
});

process.on('SIGURG', () => {
  if (typeof global.gc === 'function') {
    global.gc();
    global.gc();
  }
  const rss = Number(/^VmRSS:\s+(\d+)/m.exec(fs.readFileSync('/proc/self/status', 'utf8'))[1]) * 1024;
  const { heapUsed, heapTotal, external, arrayBuffers } = process.memoryUsage();
  process.stdout.write(
    `bench-memory: ${JSON.stringify({ gc: typeof global.gc === 'function', rss, heapUsed, heapTotal, external, arrayBuffers })}\n`,
  );
});
