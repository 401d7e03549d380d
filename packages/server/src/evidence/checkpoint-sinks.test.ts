import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { StoredCheckpoint } from '../journal/journal-store.js';
import { tempDir } from '../test-support/fixtures.js';
import { CheckpointConflictError, DirectoryCheckpointSink, WebhookCheckpointSink } from './checkpoint-sinks.js';

const cp = (size: number, note = `tamga/acme\n${size}\nroot\n\n— k sig\n`): StoredCheckpoint => ({ logId: 1, size, rootHash: Buffer.alloc(32), note, createdAt: 0 });

describe('DirectoryCheckpointSink', () => {
  const dir = tempDir();
  afterAll(() => dir.remove());

  it('writes one file per checkpoint, never overwritten, and reads back the newest', async () => {
    const sink = new DirectoryCheckpointSink(dir.path);
    await sink.publish(cp(5), 'tamga/acme');
    await sink.publish(cp(12), 'tamga/acme');
    await sink.publish(cp(12), 'tamga/acme'); // the same note again: fine
    expect(readdirSync(join(dir.path, 'tamga_acme'))).toEqual(['0000000000000005.note', '0000000000000012.note']);
    expect(await sink.latest('tamga/acme')).toEqual({ size: 12, note: cp(12).note });
    expect(await sink.latest('tamga/other')).toBeUndefined();
  });

  it('refuses another note for a size already published (CheckpointConflictError) and keeps the first', async () => {
    const sink = new DirectoryCheckpointSink(dir.path);
    await expect(sink.publish(cp(5, 'forged\n'), 'tamga/acme')).rejects.toBeInstanceOf(CheckpointConflictError);
    expect(readFileSync(join(dir.path, 'tamga_acme', '0000000000000005.note'), 'utf8')).toBe(cp(5).note);
  });
});

describe('WebhookCheckpointSink', () => {
  it('POSTs the note with origin and size, retrying failures with backoff', async () => {
    const calls: { body: string; headers: Record<string, string> }[] = [];
    let failures = 2;
    const fetchStub = (async (_url: string, init?: RequestInit) => {
      calls.push({ body: String(init?.body), headers: init?.headers as Record<string, string> });
      if (failures-- > 0) return new Response('busy', { status: 503 });
      return new Response(null, { status: 204 });
    }) as typeof fetch;
    const sink = new WebhookCheckpointSink({ url: 'https://witness.example/checkpoints', backoffMs: 1, fetch: fetchStub });
    await sink.publish(cp(7), 'tamga/acme');
    expect(calls).toHaveLength(3);
    expect(calls[2]).toMatchObject({ body: cp(7).note, headers: { 'x-tamga-origin': 'tamga/acme', 'x-tamga-tree-size': '7' } });
  });

  it('gives up after the last attempt with an error naming the checkpoint', async () => {
    const fetchStub = (async () => {
      throw new Error('ECONNREFUSED');
    }) as typeof fetch;
    const sink = new WebhookCheckpointSink({ url: 'https://witness.example/', attempts: 2, backoffMs: 1, fetch: fetchStub });
    await expect(sink.publish(cp(3), 'tamga/acme')).rejects.toThrow(/tamga\/acme 3 not delivered/);
  });
});
