/**
 * Issue #14, part 1, "Done when": three `tamga serve` processes (the build, as a user starts it) on one PostgreSQL
 * schema, ingest through all of them at once, a live stream open on each, and the checkpoint leader killed with
 * SIGKILL mid-ingest. No acknowledged event is lost, another node signs within 5 s, every log verifies, and the
 * live streams of the surviving nodes saw every stored event exactly once — those the dead node stored too.
 */
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { startBuiltServer } from '../../server/src/test-support/built-server.js';
import type { BuiltServer } from '../../server/src/test-support/built-server.js';
import { tempDir } from '../../server/src/test-support/fixtures.js';
import { findTestDatabase, reportMissingPostgres, testSchemaName } from '../../server/src/test-support/postgres.js';
import { openSse } from '../../server/src/test-support/sse-collector.js';
import type { SseCollector } from '../../server/src/test-support/sse-collector.js';
import { TEST_API_KEY } from '../../server/src/test-support/test-server.js';

const PG_URL = await findTestDatabase();
/** The checkpoint leader's advisory lock class (postgres-schema.ts: 'TMGC'). */
const LEADER_LOCK_CLASS = 0x544d4743;
const TENANTS = ['north', 'south'];

if (PG_URL === undefined) {
  reportMissingPostgres('the three-node cluster e2e');
} else {
  describe('three nodes on one PostgreSQL, the checkpoint leader killed mid-ingest', () => {
    const schema = testSchemaName('tamga_cluster');
    const keys = tempDir('tamga-cluster-keys-');
    const nodes: BuiltServer[] = [];
    const streams: SseCollector[] = [];
    const db = new pg.Client({ connectionString: PG_URL });
    afterAll(async () => {
      for (const s of streams) s.close();
      await Promise.all(nodes.map((n) => n.close()));
      await db.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => undefined);
      await db.end();
      keys.remove();
    });

    /** The node (by `TAMGA_NODE_ID`) whose session holds the checkpoint lead of this schema, if any. */
    const leader = async (): Promise<string | undefined> => {
      const { rows } = await db.query<{ name: string }>(
        `SELECT a.application_name AS name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
          WHERE l.locktype = 'advisory' AND l.granted AND l.classid = $1::int8::oid AND l.objid = (hashtext($2)::int8 & 4294967295)::oid`,
        [LEADER_LOCK_CLASS, schema],
      );
      return rows[0]?.name.replace(/^tamga /, '');
    };

    it('loses no acknowledged event, signs again within 5 s, verifies, and streams every event once on the survivors', async () => {
      await db.connect();
      const env = (id: string): Record<string, string> => ({
        TAMGA_DATABASE_URL: PG_URL,
        TAMGA_DATABASE_SCHEMA: schema,
        TAMGA_KEYS_DIR: keys.path,
        TAMGA_NODE_ID: id,
      });
      // The first node creates the schema and the keys; the others start together.
      nodes.push(await startBuiltServer(env('node-1')));
      nodes.push(...(await Promise.all([startBuiltServer(env('node-2')), startBuiltServer(env('node-3'))])));
      const query = TENANTS.map((t) => `tenantId=${t}`).join('&');
      for (const node of nodes) streams.push(await openSse(`${node.url}/api/v1/events/stream?${query}`, TEST_API_KEY));
      await new Promise((r) => setTimeout(r, 300));
      let lead: string | undefined;
      for (let i = 0; i < 50 && lead === undefined; i++) {
        // The lead is taken at the first checkpoint round.
        await nodes[0]!.fetch('/api/v1/events', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify([{ event: 2001, tenantId: 'north', text: 'warm-up' }]) });
        lead = await leader();
        if (lead === undefined) await new Promise((r) => setTimeout(r, 100));
      }
      const victim = nodes.find((n) => lead === nodeIdOf(nodes, n));
      expect(victim, `the leader (${lead}) is one of the nodes`).toBeDefined();

      // Producers: each sends batches through every node in turn; an answer 201 is an acknowledgement.
      const ackedIds = new Set<string>();
      let stop = false;
      let batchNo = 0;
      const producer = async (p: number): Promise<void> => {
        for (let turn = p; !stop; turn++) {
          const node = nodes[turn % nodes.length]!;
          if (node.process.exitCode !== null || node.process.signalCode !== null) continue;
          const n = batchNo++;
          const batch = Array.from({ length: 10 }, (_, i) => ({ event: 2001, tenantId: TENANTS[(n + i) % 2], text: `b${n}e${i}`, userId: `p${p}` }));
          try {
            const res = await node.fetch('/api/v1/events', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(batch) });
            if (res.status === 201) for (const item of ((await res.json()) as { items: { id: string }[] }).items) ackedIds.add(item.id);
            else await res.body?.cancel();
          } catch {
            // The killed node: not acknowledged, the producer moves on.
          }
        }
      };
      const producers = Array.from({ length: 6 }, (_, p) => producer(p));
      // Killed mid-ingest: once 100 events are acknowledged (at least 1.5 s in; a busy machine takes longer).
      const started = Date.now();
      while ((ackedIds.size < 100 || Date.now() - started < 1_500) && Date.now() - started < 20_000) await new Promise((r) => setTimeout(r, 50));
      const ackedAtKill = ackedIds.size;
      const killedAt = Date.now();
      victim!.process.kill('SIGKILL');
      await new Promise((r) => setTimeout(r, 2_500));
      stop = true;
      await Promise.all(producers);

      const survivors = nodes.filter((n) => n !== victim);
      const survivorStreams = streams.filter((_, i) => nodes[i] !== victim);

      // Another node signs within 5 s of the kill.
      const newLead = await leader();
      expect(newLead).toBeDefined();
      expect(newLead).not.toBe(lead);
      // The producers stop 2.5 s after the kill; the first checkpoint after it may come later and still be in time.
      const signedAfterKill = async (): Promise<string | null> =>
        (await db.query<{ at: string | null }>(`SELECT min(created_at)::text AS at FROM ${schema}.checkpoints WHERE created_at > $1::int8`, [killedAt * 1000]))
          .rows[0]!.at;
      let at = await signedAfterKill();
      while (at === null && Date.now() < killedAt + 5_000) {
        await new Promise((r) => setTimeout(r, 100));
        at = await signedAfterKill();
      }
      expect(at, 'a checkpoint signed after the kill').not.toBeNull();
      const takeoverMs = Number(at) / 1000 - killedAt;
      expect(takeoverMs).toBeLessThan(5_000);

      // No acknowledged event is lost.
      const { rows: stored } = await db.query<{ id: string }>(`SELECT id FROM ${schema}.records WHERE tenant_id = ANY($1::text[])`, [TENANTS]);
      const storedIds = new Set(stored.map((r) => r.id));
      const lost = [...ackedIds].filter((id) => !storedIds.has(id));
      expect(lost).toEqual([]);
      expect(ackedAtKill).toBeGreaterThanOrEqual(100);
      expect(ackedIds.size, 'the survivors acknowledged appends after the kill').toBeGreaterThan(ackedAtKill);
      console.log(`cluster e2e: ${ackedIds.size} events acknowledged, ${storedIds.size} stored; ${lead} killed, ${newLead} signed ${Math.round(takeoverMs)} ms later`);

      // Each surviving stream saw every stored event exactly once, in log order per tenant.
      for (const stream of survivorStreams) {
        await stream.waitFor(storedIds.size, 10_000);
        await new Promise((r) => setTimeout(r, 500)); // a duplicate would have arrived by now
        const ids = stream.records.map((r) => String(r.id));
        expect(ids.length, 'records streamed').toBe(storedIds.size);
        expect(new Set(ids).size, 'no record twice').toBe(ids.length);
        expect(ids.every((id) => storedIds.has(id))).toBe(true);
        for (const tenant of TENANTS) {
          const seqs = stream.records.filter((r) => r.tenantId === tenant).map((r) => Number(r.seq));
          expect(seqs).toEqual(seqs.map((_, i) => i));
        }
      }

      // Every log verifies, through a survivor, once the last checkpoint covers it.
      for (const tenant of TENANTS) {
        const { rows } = await db.query<{ size: string }>(`SELECT size::text FROM ${schema}.logs WHERE tenant_key = $1`, [tenant]);
        const size = Number(rows[0]!.size);
        let report: { status: string; treeSize: number } | undefined;
        for (let i = 0; i < 50; i++) {
          const res = await survivors[0]!.fetch(`/api/v1/logs/${tenant}/verify?from=0&to=${size}`);
          report = (await res.json()) as { status: string; treeSize: number };
          if (report.treeSize === size) break;
          await new Promise((r) => setTimeout(r, 100));
        }
        expect(report).toMatchObject({ status: 'valid', treeSize: size });
      }
    }, 120_000);
  });
}

/** The `TAMGA_NODE_ID` a node was started with (its place in the list: node-1, node-2, node-3). */
function nodeIdOf(nodes: readonly BuiltServer[], node: BuiltServer): string {
  return `node-${nodes.indexOf(node) + 1}`;
}
