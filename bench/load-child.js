// A load of step 1b (reads beside appends), run in a process of its own so that reading the answers never delays the
// appending client's requests in bench/run.js. Started by run.js, told what to do over IPC:
//   { url, key, kind: 'loop', path }    GETs path again and again, reading each answer to its end
//   { url, key, kind: 'stream', path }  GETs path (an export) again and again, counting the lines as they come
//   { kind: 'spin' }                    a CPU loop and nothing else (the floor: what any CPU use beside costs)
// It answers 'started' once running, and on 'stop' answers { rounds, lines } and exits.
let stopped = false;
let rounds = 0;
let lines = 0;
const controller = new AbortController();

async function run({ url, key, kind, path }) {
  if (kind === 'spin') {
    // Yields to the event loop every ~50 ms so that 'stop' is heard.
    while (!stopped) {
      const until = performance.now() + 50;
      while (performance.now() < until);
      await new Promise((resolve) => setImmediate(resolve));
    }
    return;
  }
  while (!stopped) {
    try {
      const res = await fetch(`${url}${path}`, {
        headers: { authorization: `Bearer ${key}` },
        signal: controller.signal,
      });
      if (res.status !== 200) throw new Error(`${path}: ${res.status} ${await res.text()}`);
      for await (const chunk of res.body) {
        if (kind === 'stream')
          for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) lines++;
      }
      if (!stopped) rounds++;
    } catch (error) {
      if (stopped) return;
      throw error;
    }
  }
}

let running;
process.on('message', (message) => {
  if (message === 'stop') {
    stopped = true;
    controller.abort();
    running.finally(() => process.send({ rounds, lines }, () => process.exit(0)));
    return;
  }
  running = run(message).catch((error) => {
    console.error(`load failed: ${error.message}`);
    process.exit(1);
  });
  process.send('started');
});
