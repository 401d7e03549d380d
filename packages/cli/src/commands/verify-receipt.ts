import { isTamgaError, parseReceipt, verifiersFromKeys, verifyReceipt as verifyReceiptContent, VerificationError } from '@tamga/core';
import { loadHmacKeys, loadPinnedKeys, readText } from '../evidence/bundle-files.js';
import { parseCommand, usageError } from '../cli-args.js';
import { EXIT } from './verify.js';

const USAGE = `Usage: tamga verify-receipt FILE [--keys FILE] [--hmac-key FILE|DIR] [--json]
Verifies one event's receipt (GET /api/v1/events/{id}/receipt) alone, offline: the record is in the signed tree.
--keys pins the checkpoint keys (else the receipt's own); --hmac-key also checks the record's HMAC.
Exit 0 valid, 1 tampered, 2 unusable input.`;

/** Codes meaning the receipt itself is unusable (exit 2) rather than tampered (exit 1). */
const UNUSABLE = new Set(['BUNDLE_INVALID', 'NOTE_MALFORMED', 'CONFIG_INVALID', 'VALIDATION_FAILED']);

/** `tamga verify-receipt FILE [--keys FILE] [--hmac-key FILE|DIR] [--json]`: verifies one receipt alone. */
export async function verifyReceipt(args: readonly string[], out: NodeJS.WritableStream = process.stdout): Promise<number> {
  const { values, positionals } = parseCommand({
    command: 'tamga verify-receipt',
    usage: USAGE,
    allowPositionals: true,
    options: { keys: { type: 'string' }, 'hmac-key': { type: 'string' }, json: { type: 'boolean', default: false } },
  }, args);
  const file = positionals[0];
  if (file === undefined) throw usageError('tamga verify-receipt', 'name the receipt FILE');
  if (positionals.length > 1) throw usageError('tamga verify-receipt', `unexpected argument "${positionals[1]}"`);
  let raw: unknown;
  try {
    raw = JSON.parse(readText(file));
  } catch (cause) {
    if (isTamgaError(cause)) throw cause;
    throw new VerificationError('BUNDLE_INVALID', `${file} is not JSON`, {}, { cause });
  }
  try {
    const receipt = parseReceipt(raw);
    const verifiers = values.keys !== undefined ? loadPinnedKeys(values.keys) : verifiersFromKeys(receipt.keys);
    const hmacKeys = values['hmac-key'] === undefined ? undefined : loadHmacKeys(values['hmac-key']);
    const result = verifyReceiptContent(receipt, verifiers, hmacKeys);
    out.write(
      values.json
        ? `${JSON.stringify(result)}\n`
        : `${result.status.toUpperCase()}: record seq ${result.seq} of log ${result.origin} is in the tree of size ${result.treeSize} signed by ${result.signedBy.join(', ')}${result.hmacChecked ? '' : ' (HMAC not checked)'}\n`,
    );
    return EXIT.valid;
  } catch (error) {
    if (!isTamgaError(error) || UNUSABLE.has(error.code)) throw error;
    out.write(values.json ? `${JSON.stringify({ status: 'tampered', code: error.code, message: error.message, details: error.details })}\n` : `TAMPERED: ${error.message} [${error.code}]\n`);
    return EXIT.tampered;
  }
}
