import { describe, expect, it } from 'vitest';
import { ApiError } from '../api/tamga-api.js';
import { evidenceFileName, readEvidenceBundle } from './evidence-bundle.js';

/** A stream of `text` cut into chunks of `size` bytes (so lines and UTF-8 characters straddle chunks). */
function streamOf(
  text: string,
  size = 7,
  { failAtEnd = false } = {},
): ReadableStream<Uint8Array<ArrayBuffer>> {
  const bytes = new TextEncoder().encode(text);
  let at = 0;
  return new ReadableStream<Uint8Array<ArrayBuffer>>({
    pull(controller) {
      if (at >= bytes.length) {
        if (failAtEnd) controller.error(new TypeError('network error'));
        else controller.close();
        return;
      }
      controller.enqueue(bytes.slice(at, at + size));
      at += size;
    },
  });
}

const HEAD = [
  '{"type":"manifest","format":"tamga-bundle/1","origin":"tamga/default","range":{"from":1,"to":3}}',
  '{"type":"keys","checkpoint":[]}',
  '{"type":"checkpoint","size":3,"note":"tamga/default\\n3\\n…"}',
];
const RECORDS = ['{"seq":1,"canonical":"e30=","text":"Привет"}', '{"seq":2,"canonical":"e30=","text":null}'];

function bundle(lines: readonly string[]): string {
  return lines.map((l) => `${l}\n`).join('');
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ApiError) return error.code;
    throw error;
  }
  return 'no error';
}

describe('readEvidenceBundle', () => {
  describe('when the stream ends with its end line', () => {
    it('keeps every byte and counts the record lines', async () => {
      const text = bundle([...HEAD, ...RECORDS, '{"type":"end","records":2}']);
      const progress: number[] = [];
      const result = await readEvidenceBundle(streamOf(text), (n) => progress.push(n));
      expect(result.records).toBe(2);
      expect(await result.blob.text()).toBe(text);
      expect(progress.at(-1)).toBe(2);
    });

    it('accepts an empty range', async () => {
      const result = await readEvidenceBundle(streamOf(bundle([...HEAD, '{"type":"end","records":0}'])));
      expect(result.records).toBe(0);
    });
  });

  describe('when the download was cut', () => {
    it('throws BUNDLE_INCOMPLETE without an end line', async () => {
      await expect(codeOf(readEvidenceBundle(streamOf(bundle([...HEAD, ...RECORDS]))))).resolves.toBe(
        'BUNDLE_INCOMPLETE',
      );
    });

    it('throws BUNDLE_INCOMPLETE inside a record line', async () => {
      const text = bundle([...HEAD, ...RECORDS, '{"type":"end","records":2}']);
      await expect(codeOf(readEvidenceBundle(streamOf(text.slice(0, text.length - 40))))).resolves.toBe(
        'BUNDLE_INCOMPLETE',
      );
    });

    it('throws BUNDLE_INCOMPLETE when the end line counts other records', async () => {
      const text = bundle([...HEAD, RECORDS[0]!, '{"type":"end","records":2}']);
      await expect(codeOf(readEvidenceBundle(streamOf(text)))).resolves.toBe('BUNDLE_INCOMPLETE');
    });

    it('throws BUNDLE_INCOMPLETE when the connection fails', async () => {
      const text = bundle([...HEAD, ...RECORDS]);
      await expect(codeOf(readEvidenceBundle(streamOf(text, 7, { failAtEnd: true })))).resolves.toBe(
        'BUNDLE_INCOMPLETE',
      );
    });
  });

  describe('when the answer is not a bundle', () => {
    it('throws BAD_RESPONSE', async () => {
      await expect(codeOf(readEvidenceBundle(streamOf('{"items":[]}\n')))).resolves.toBe('BAD_RESPONSE');
      await expect(codeOf(readEvidenceBundle(streamOf('')))).resolves.toBe('BAD_RESPONSE');
    });
  });
});

describe('evidenceFileName', () => {
  it('names the tenant and the compact range', () => {
    expect(evidenceFileName('default', '2026-03-10T10:00:00Z', '2026-03-10T11:00:00.500Z')).toBe(
      'tamga-evidence-default-20260310T100000Z-20260310T110000Z.ndjson',
    );
  });
});
