import { loadConfig, KeyRing } from '@tamga/server';
import { parseCommandArgs } from './verify.js';

const USAGE = `Usage: tamga keys list [--keys-dir DIR] [--json]
       tamga keys rotate --hmac | --checkpoint [--keys-dir DIR]
Keys directory: --keys-dir, TAMGA_KEYS_DIR, or <TAMGA_DATA_DIR>/keys. A rotation here applies when the server
next starts (and is journalled then); POST /api/v1/keys/rotate rotates a running server at once.`;

/** `tamga keys list|rotate`: works on the keys directory (no server needed). */
export async function keys(args: readonly string[], out: NodeJS.WritableStream = process.stdout): Promise<number> {
  const [sub, ...rest] = args;
  const { values } = parseCommandArgs({
    args: rest,
    options: {
      'keys-dir': { type: 'string' },
      'data-dir': { type: 'string' },
      hmac: { type: 'boolean', default: false },
      checkpoint: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
    },
  });
  const flags = [...(values['data-dir'] !== undefined ? ['--data-dir', values['data-dir']] : []), ...(values['keys-dir'] !== undefined ? ['--keys-dir', values['keys-dir']] : [])];
  const dir = loadConfig(process.env, flags).keysDir;
  if (sub === 'list') {
    const ring = KeyRing.openOrCreate(dir);
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
  if (sub === 'rotate' && values.hmac !== values.checkpoint) {
    const ring = KeyRing.openOrCreate(dir);
    const id = values.hmac ? ring.rotateHmac().kid : ring.rotateCheckpoint().name;
    out.write(`New ${values.hmac ? 'HMAC' : 'checkpoint'} key ${id} written to ${dir}.\nIt is used from the next start of the server (which journals the rotation); older keys keep verifying.\n`);
    return 0;
  }
  process.stderr.write(`${USAGE}\n`);
  return 2;
}
