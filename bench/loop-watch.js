// How long this process's event loop went without running a timer: a timer every 20 ms notes the longest gap since
// the last `take()`, and says on stderr (with the time it began) any gap over a second. The benchmark runs one in the
// server's process and one in its own, so a slow /healthz answer can be told apart: the server's loop held up, the
// benchmark's own, or neither (the kernel, the disk, the network).
const TICK_MS = 20;
const SAY_MS = 1000;

/**
 * Starts watching; `take()` gives the longest gap (ms, beyond the timer's own period) since the last take (or the start)
 * and resets, `stop()` ends the watch.
 */
export function watchLoop(name) {
  let last = performance.now();
  let max = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    const gap = now - last - TICK_MS;
    last = now;
    if (gap > max) max = gap;
    if (gap > SAY_MS) {
      const began = new Date(Date.now() - gap - TICK_MS).toISOString();
      process.stderr.write(`${name}: event loop held up ${Math.round(gap)} ms from ${began}\n`);
    }
  }, TICK_MS);
  timer.unref();
  return {
    take() {
      const taken = Math.max(max, performance.now() - last - TICK_MS);
      max = 0;
      return taken;
    },
    stop() {
      clearInterval(timer);
    },
  };
}
