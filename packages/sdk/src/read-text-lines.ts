/**
 * The lines of a byte stream decoded as UTF-8, without their line ends (`\n` or `\r\n`); a last line without a newline
 * is yielded too. For NDJSON answers (export) and Server-Sent Events. When `signal` aborts, reading stops (the
 * request's own signal no longer reaches a body whose headers have arrived).
 */
export async function* readTextLines(body: ReadableStream<Uint8Array>, signal?: AbortSignal): AsyncGenerator<string> {
  const reader = body.getReader();
  const decoder = new TextDecoder('utf-8');
  let carry = '';
  const stop = (): void => void reader.cancel().catch(() => undefined);
  signal?.addEventListener('abort', stop, { once: true });
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      const text = carry + decoder.decode(value, { stream: true });
      let start = 0;
      for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', start)) {
        yield text.slice(start, nl > start && text[nl - 1] === '\r' ? nl - 1 : nl);
        start = nl + 1;
      }
      carry = text.slice(start);
    }
    carry += decoder.decode();
    if (carry !== '') yield carry;
  } finally {
    signal?.removeEventListener('abort', stop);
    reader.releaseLock();
    await body.cancel().catch(() => undefined);
  }
}
