import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from '../test-support/fixtures.js';
import { HttpReceiver, waitFor } from '../test-support/http-receiver.js';
import { TEST_API_KEY } from '../test-support/test-server.js';

/**
 * The compiled server, started as a user starts it (`tamga serve`), forwards on a thread of its own at a lower
 * priority: records reach the receiver, and the thread that delivers them is not the one that accepts appends.
 * Source runs (the other forwarding tests) keep the workers in the test's thread; this one checks the compiled
 * path, which `npm install` builds (`npm run build` after changing the code).
 */
const CLI = fileURLToPath(new URL('../../../cli/bin/tamga.js', import.meta.url));
const COMPILED = fileURLToPath(new URL('../../dist/forward/forward-thread.js', import.meta.url));

/** Name and nice value of each thread of a process (Linux /proc), by thread id. */
function threadsOf(pid: number): Map<number, { name: string; nice: number }> {
  const threads = new Map<number, { name: string; nice: number }>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    // "tid (name) state …": nice is the 17th field after the name.
    const fields = stat.slice(stat.lastIndexOf(') ') + 2).split(' ');
    threads.set(Number(tid), { name: stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(') ')), nice: Number(fields[16]) });
  }
  return threads;
}

if (!existsSync(COMPILED)) {
  console.warn('\n*** packages/server/dist has no forward-thread.js: run `npm run build`; the compiled forwarding test is SKIPPED ***\n');
  if (process.env.CI === 'true') it('finds the compiled server (required in CI)', () => expect.fail('npm run build did not run'));
  else it.skip('the compiled server forwards on its own thread (not built)', () => undefined);
} else {
  const dir = tempDir();
  let child: ChildProcess | undefined;
  let receiver: HttpReceiver;
  afterAll(async () => {
    child?.kill('SIGTERM');
    await receiver?.stop();
    dir.remove();
  });

  describe('tamga serve (compiled)', () => {
    it('forwards from a thread of its own, at a lower priority than the one that accepts appends', async () => {
      receiver = await new HttpReceiver().start();
      const file = join(dir.path, 'forwarding.json');
      writeFileSync(file, JSON.stringify({ destinations: [{ name: 'hook', format: 'webhook', url: `${receiver.url}/hook`, secret: 'a secret of sixteen+', filter: 'tenantId=thread' }] }));
      child = spawn(process.execPath, [CLI, 'serve', '--port', '0', '--data-dir', join(dir.path, 'data')], {
        env: { ...process.env, TAMGA_ADMIN_API_KEY: TEST_API_KEY, TAMGA_FORWARD_FILE: file, TAMGA_LOG_LEVEL: 'warn' },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      const lines = createInterface({ input: child.stdout! });
      const url = await new Promise<string>((resolve, reject) => {
        lines.on('line', (line) => {
          const m = /listening on (http:\/\/\S+)/.exec(line);
          if (m) resolve(m[1]!);
        });
        child!.once('exit', (code) => reject(new Error(`tamga serve exited with ${code}`)));
      });
      const headers = { authorization: `Bearer ${TEST_API_KEY}`, 'content-type': 'application/json' };
      const appended = await fetch(`${url}/api/v1/events`, {
        method: 'POST',
        headers,
        body: JSON.stringify(Array.from({ length: 50 }, (_, i) => ({ event: 2001, tenantId: 'thread', text: `event ${i}` }))),
      });
      expect(appended.status).toBe(201);
      const ids = ((await appended.json()) as { items: { id: string }[] }).items.map((i) => i.id);
      await waitFor(() => receiver.accepted.flatMap((r) => JSON.parse(r.body.toString()).records).length === 50, 'the records at the receiver');
      expect(receiver.accepted.flatMap((r) => (JSON.parse(r.body.toString()) as { records: { id: string }[] }).records.map((x) => x.id))).toEqual(ids);

      const destinations = (await (await fetch(`${url}/api/v1/forwarding/destinations`, { headers })).json()) as { items: { status: { state: string } }[] };
      expect(destinations.items[0]!.status.state).toMatch(/idle|delivering/);
      if (existsSync(`/proc/${child.pid}/task`)) {
        const threads = [...threadsOf(child.pid!)];
        expect(threads.find(([tid]) => tid === child!.pid)?.[1].nice, 'the main thread').toBe(0);
        const named = (name: string) => threads.filter(([, t]) => t.name === name).map(([, t]) => t.nice);
        expect(named('tamga-forward'), 'the forwarding thread').toEqual([10]);
        expect(named('tamga-writer'), 'the thread that appends').toEqual([0]);
      }
    }, 60_000);
  });
}
