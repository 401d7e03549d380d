import { expect } from 'vitest';
import { parseBundleCheckpoint, parseBundleKeys, parseBundleManifest, verifiersFromKeys, verifyBundle } from '@tamga/core';
import type { VerificationReport } from '@tamga/core';
import type { TestServer } from './test-server.js';

/**
 * Exports a tenant's log over HTTP and verifies the bundle with the offline verifier, as an auditor would, optionally
 * against a checkpoint note saved earlier (`trustedCheckpoint`).
 */
export async function verifyExport(t: TestServer, tenant: string, trustedCheckpoint?: string): Promise<VerificationReport> {
  const res = await t.request({ method: 'GET', url: `/api/v1/logs/${tenant}/export` });
  expect(res.statusCode, res.body).toBe(200);
  let manifest: unknown;
  let keys: unknown;
  const checkpoints = [];
  const records: string[] = [];
  for (const line of res.body.split('\n')) {
    if (line === '') continue;
    if (line.startsWith('{"seq":')) {
      records.push(line);
      continue;
    }
    const { type, ...rest } = JSON.parse(line) as { type: string } & Record<string, unknown>;
    if (type === 'manifest') manifest = rest;
    if (type === 'keys') keys = rest;
    if (type === 'checkpoint') checkpoints.push(parseBundleCheckpoint(JSON.stringify(rest), 1));
  }
  return verifyBundle(
    { manifest: parseBundleManifest(manifest), checkpoints, records },
    { verifiers: verifiersFromKeys(parseBundleKeys(keys)), ...(trustedCheckpoint !== undefined && { trustedCheckpoint }) },
  );
}
