/** A live stream (`GET /api/v1/events/stream`) read record by record until closed. */
export interface SseCollector {
  /** The records received so far, as sent (`data:` JSON of unnamed events). */
  readonly records: Record<string, unknown>[];
  /** Named events received so far (`reload`, `overflow`, `revoked`), with their data. */
  readonly named: { event: string; data: Record<string, unknown> }[];
  /** The last `id:` received (what EventSource would send back as `Last-Event-ID`); '' before any. */
  readonly lastId: () => string;
  /** Resolves once `count` records arrived (rejects after `ms`, listing how many did). */
  waitFor(count: number, ms?: number): Promise<void>;
  /** Ends the stream. */
  close(): void;
  /** Resolves when the stream ended (closed by either side). */
  readonly ended: Promise<void>;
}

/**
 * Opens the live stream at `url` (e.g. `http://127.0.0.1:8080/api/v1/events/stream?tenant=t`) with a bearer key, and
 * `Last-Event-ID` when given (as EventSource sends it on reconnecting).
 */
export async function openSse(url: string, key: string, lastEventId?: string): Promise<SseCollector> {
  const controller = new AbortController();
  const headers: Record<string, string> = { authorization: `Bearer ${key}` };
  if (lastEventId !== undefined) headers['last-event-id'] = lastEventId;
  const response = await fetch(url, { headers, signal: controller.signal });
  if (response.status !== 200) throw new Error(`stream answered ${response.status}: ${await response.text()}`);
  const records: Record<string, unknown>[] = [];
  const named: { event: string; data: Record<string, unknown> }[] = [];
  let lastId = '';
  const waiters = new Set<() => void>();
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  const ended = (async () => {
    let buffer = '';
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += decoder.decode(value, { stream: true });
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const lines = block.split('\n');
          const id = lines.find((l) => l.startsWith('id: '));
          if (id !== undefined) lastId = id.slice(4);
          const event = lines.find((l) => l.startsWith('event: '));
          const data = lines.find((l) => l.startsWith('data: '));
          if (data === undefined) continue;
          const parsed = JSON.parse(data.slice(6)) as Record<string, unknown>;
          if (event === undefined) records.push(parsed);
          else named.push({ event: event.slice(7), data: parsed });
        }
        for (const wake of waiters) wake();
      }
    } catch {
      // aborted
    }
    for (const wake of waiters) wake();
  })();
  let isEnded = false;
  void ended.then(() => (isEnded = true));
  return {
    records,
    named,
    lastId: () => lastId,
    ended,
    close: () => controller.abort(),
    async waitFor(count, ms = 10_000) {
      const deadline = Date.now() + ms;
      while (records.length < count) {
        if (isEnded) throw new Error(`the stream ended after ${records.length} of ${count} records`);
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`${records.length} of ${count} records arrived within ${ms} ms`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, Math.min(left, 200));
          waiters.add(() => {
            clearTimeout(timer);
            resolve();
          });
        });
        waiters.clear();
      }
    },
  };
}
