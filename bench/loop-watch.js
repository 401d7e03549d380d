// How long this process's event loop went without running a timer: a timer every 20 ms notes the longest gap since
// the last `take()`, and says on stderr (with the time it began) any gap over a second (BENCH_LOOP_SAY_MS). The
// benchmark runs one in the server's process and one in its own, so a slow /healthz answer can be told apart: the
// server's loop held up, the benchmark's own, or neither (the kernel, the disk, the network). It also notes the longest
// garbage collection pause of the process's main thread, which is one thing that holds a loop up.
import { PerformanceObserver } from 'node:perf_hooks';

const TICK_MS = 20;
const SAY_MS = Number(process.env.BENCH_LOOP_SAY_MS ?? 1000);

/**
 * Starts watching; `take()` gives the longest gap (`heldMs`, beyond the timer's own period) and the longest GC pause
 * (`gcMs`) since the last take (or the start) and resets; `stop()` ends the watch.
 */
export function watchLoop(name) {
  let last = performance.now();
  let max = 0;
  let gcMax = 0;
  const gc = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) gcMax = Math.max(gcMax, entry.duration);
  });
  gc.observe({ entryTypes: ['gc'] });
  const timer = setInterval(() => {
    const now = performance.now();
    const gap = now - last - TICK_MS;
    last = now;
    if (gap > max) max = gap;
    if (gap > SAY_MS) {
      const began = new Date(Date.now() - gap - TICK_MS).toISOString();
      process.stderr.write(
        `${name}: event loop held up ${Math.round(gap)} ms from ${began} (${Math.round(now - gap - TICK_MS)} ms after start)\n`,
      );
    }
  }, TICK_MS);
  timer.unref();
  return {
    take() {
      const taken = { heldMs: Math.max(max, performance.now() - last - TICK_MS), gcMs: gcMax };
      max = 0;
      gcMax = 0;
      return taken;
    },
    stop() {
      clearInterval(timer);
      gc.disconnect();
    },
  };
}
