/** The marker that ends a value shortened to fit a message size limit. */
export const TRUNCATION_MARK = '…';

/** Values shorter than this are never shortened further; a message still too long is cut as bytes. */
const SHORTEST_CUT = 16;

/**
 * Builds a message no longer than `maxBytes`: first with every value whole, then, while it is too long, with the
 * longest shrinkable value halved (ending in {@link TRUNCATION_MARK}). The fields that identify a record (id, seq,
 * code, user, …) are never among `values`, so a shortened message still names its record. As a last resort (a
 * message whose fixed part alone is too long) the bytes are cut at a UTF-8 character boundary.
 *
 * @param values - the shrinkable values (free text, entityData JSON, …), in the order `build` takes them.
 * @param build - renders the message from the values; `truncated` is true once any value was shortened.
 */
export function fitMessage(values: readonly string[], maxBytes: number, build: (values: readonly string[], truncated: boolean) => Buffer): Buffer {
  const current = [...values];
  let truncated = false;
  for (;;) {
    const message = build(current, truncated);
    if (message.length <= maxBytes) return message;
    let longest = -1;
    for (let i = 0; i < current.length; i++) {
      if (current[i]!.length > SHORTEST_CUT && (longest < 0 || current[i]!.length > current[longest]!.length)) longest = i;
    }
    if (longest < 0) return cutUtf8(message, maxBytes);
    current[longest] = shorten(current[longest]!, Math.floor(current[longest]!.length / 2));
    truncated = true;
  }
}

/** The first `length` UTF-16 units of `value` (never half a surrogate pair) followed by {@link TRUNCATION_MARK}. */
export function shorten(value: string, length: number): string {
  let end = Math.max(0, length);
  const code = value.charCodeAt(end - 1);
  if (code >= 0xd800 && code <= 0xdbff) end--;
  return value.slice(0, end) + TRUNCATION_MARK;
}

/** The longest prefix of `bytes` of at most `maxBytes` that does not end inside a UTF-8 sequence. */
export function cutUtf8(bytes: Buffer, maxBytes: number): Buffer {
  if (bytes.length <= maxBytes) return bytes;
  let end = maxBytes;
  // Step back over continuation bytes (10xxxxxx) to the start of the character that was cut.
  while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end--;
  return bytes.subarray(0, end);
}
