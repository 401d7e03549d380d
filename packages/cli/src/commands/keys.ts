import { loadConfig, KeyRing } from '@tamga/server';
import { parseCommand, usageError } from '../cli-args.js';

const USAGE = `Usage: tamga keys list [--data-dir DIR | --keys-dir DIR] [--json]
       tamga keys rotate --hmac | --checkpoint [--data-dir DIR | --keys-dir DIR]
Shows or rotates the signing keys in the keys directory (--keys-dir, TAMGA_KEYS_DIR, or <data dir>/keys, the data
dir being --data-dir, TAMGA_DATA_DIR or ./data). Neither creates a keys directory: the server does at first start,
and a mistyped directory is named as missing. A rotation here applies when the server next starts (and is
journalled then); POST /api/v1/keys/rotate rotates a running server at once.`;

const OPTIONS = {
  'keys-dir': { type: 'string' },
  'data-dir': { type: 'string' },
  hmac: { type: 'boolean', default: false },
  checkpoint: { type: 'boolean', default: false },
  json: { type: 'boolean', default: false },
} as const;

/** `tamga keys list|rotate`: works on the keys directory (no server needed); never creates it. */
export async function keys(args: readonly string[], out: NodeJS.WritableStream = process.stdout): Promise<number> {
  const { values, positionals } = parseCommand({ command: 'tamga keys', usage: USAGE, options: OPTIONS, allowPositionals: true }, args);
  const [sub, ...extra] = positionals;
  if (sub === undefined) throw usageError('tamga keys', 'name an action: list or rotate');
  if (sub !== 'list' && sub !== 'rotate') throw usageError('tamga keys', `unknown action "${sub}" (list or rotate)`);
  if (extra.length > 0) throw usageError(`tamga keys ${sub}`, `unexpected argument "${extra[0]}"`);
  const flags = [...(values['data-dir'] !== undefined ? ['--data-dir', values['data-dir']] : []), ...(values['keys-dir'] !== undefined ? ['--keys-dir', values['keys-dir']] : [])];
  const dir = loadConfig(process.env, flags).keysDir;
  if (sub === 'list') {
    if (values.hmac || values.checkpoint) throw usageError('tamga keys list', `--${values.hmac ? 'hmac' : 'checkpoint'} belongs to "tamga keys rotate"`);
    const ring = KeyRing.openExisting(dir);
    const doc = ring.publicKeys();
    if (values.json) {
      out.write(`${JSON.stringify({ dir, ...doc }, null, 2)}\n`);
      return 0;
    }
    const lines = [`Keys in ${dir}:`];
    doc.hmacKeys.forEach((k, i) => lines.push(`  hmac        ${k.kid.padEnd(30)} from ${k.validFrom}${k.validUntil === null ? '' : ` until ${k.validUntil}`}${i === doc.hmacKeys.length - 1 ? '  (signs new records)' : ''}`));
    doc.checkpointKeys.forEach((k, i) => lines.push(`  checkpoint  ${k.name.padEnd(30)} from ${k.validFrom}${k.validUntil === null ? '' : ` until ${k.validUntil}`}${i === doc.checkpointKeys.length - 1 ? '  (signs checkpoints)' : ''}\n              ${k.verifierKey}`));
    out.write(`${lines.join('\n')}\n`);
    return 0;
  }
  if (values.hmac === values.checkpoint) throw usageError('tamga keys rotate', 'give exactly one of --hmac or --checkpoint');
  if (values.json) throw usageError('tamga keys rotate', '--json belongs to "tamga keys list"');
  const ring = KeyRing.openExisting(dir);
  const id = values.hmac ? ring.rotateHmac().kid : ring.rotateCheckpoint().name;
  out.write(`New ${values.hmac ? 'HMAC' : 'checkpoint'} key ${id} written to ${dir}.\nIt is used from the next start of the server (which journals the rotation); older keys keep verifying.\n`);
  return 0;
}
