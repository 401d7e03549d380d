import { resolve } from 'node:path';
import { TamgaError } from '@tamga/core';
import { TamgaClient } from '@tamga/sdk';
import type { RetryInfo } from '@tamga/sdk';
import { AssetEventPuller } from '../pull/asset-event-puller.js';
import { readPullState, writePullState } from '../pull/pull-state.js';
import { numberOption, parseCommand, requireGiven } from '../cli-args.js';

/** Exit codes of `tamga pull-events`. */
export const PULL_EXIT = Object.freeze({ ok: 0, failed: 1, usage: 2, idsWentBackwards: 3 });

const USAGE = `Usage: tamga pull-events --source-url URL [--source-token TOKEN] --url URL --api-key KEY --tenant T
                         --state FILE [--follow] [--interval SECONDS] [--source-instance NAME] [--source-prefix /api/v1]
Copies the events of an asset server (seed 004's Event API) into a Tamga tenant: every type, each once, in _id order.
The state file keeps its place; stopping it at any moment and starting it again loses nothing and stores nothing
twice. Without --follow it catches up and exits 0; with it, it keeps pulling every --interval seconds (default 5).
Exit 1 when the source or Tamga fails beyond the retries, 3 when the source's ids went backwards (a restored
backup: its new events are copied all the same). The key may come from TAMGA_API_KEY, the token from
TAMGA_SOURCE_TOKEN.`;

const sleep = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((done) => {
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', () => (clearTimeout(timer), done()), { once: true });
  });

/** The instance a source URL names: its origin and path, without a trailing slash or query. */
function instanceOf(url: string): string {
  const u = new URL(url);
  return `${u.origin}${u.pathname.replace(/\/+$/, '')}`;
}

/** `tamga pull-events`: see {@link USAGE}. Resolves with the exit code; SIGINT and SIGTERM stop it after a batch. */
export async function pullEvents(args: readonly string[], err: NodeJS.WritableStream = process.stderr, fetchImpl?: typeof fetch): Promise<number> {
  const { values } = parseCommand({
    command: 'tamga pull-events',
    usage: USAGE,
    options: {
      'source-url': { type: 'string' },
      'source-token': { type: 'string' },
      'source-instance': { type: 'string' },
      'source-prefix': { type: 'string', default: '/api/v1' },
      url: { type: 'string' },
      'api-key': { type: 'string' },
      tenant: { type: 'string', default: 'default' },
      state: { type: 'string' },
      follow: { type: 'boolean', default: false },
      interval: { type: 'string', default: '5' },
    },
  }, args);
  const apiKey = values['api-key'] ?? process.env.TAMGA_API_KEY;
  const sourceToken = values['source-token'] ?? process.env.TAMGA_SOURCE_TOKEN;
  requireGiven('tamga pull-events', [
    values['source-url'] === undefined && '--source-url',
    values.url === undefined && '--url',
    apiKey === undefined && '--api-key (or TAMGA_API_KEY)',
    values.state === undefined && '--state',
  ]);
  const [sourceUrl, url, stateFile, key] = [values['source-url']!, values.url!, values.state!, apiKey!];
  const interval = numberOption('tamga pull-events', 'interval', values.interval, { min: 0.001 });
  let instance: string;
  try {
    instance = values['source-instance'] ?? instanceOf(sourceUrl);
  } catch {
    throw new TamgaError('CONFIG_INVALID', `--source-url ${sourceUrl} is not a URL`, { field: '--source-url' });
  }
  const statePath = resolve(stateFile);
  const state = readPullState(statePath) ?? { version: 1 as const, instance, tenant: values.tenant, generation: 1, lastId: 0 };
  if (state.instance !== instance || state.tenant !== values.tenant) {
    throw new TamgaError(
      'CONFIG_INVALID',
      `${stateFile} holds the place of ${state.instance} in tenant ${state.tenant}, not of ${instance} in tenant ${values.tenant}: give another --state (or --source-instance ${state.instance} if the same server moved)`,
      { field: '--state' },
    );
  }
  // The source's token travels in its URLs (`?token=`, as the Event API takes it): never print it.
  const say = (line: string): void => void err.write(`tamga pull-events: ${line.replace(/([?&]token=)[^&\s)]*/g, '$1…')}\n`);
  const onRetry = (what: string) => (info: RetryInfo) =>
    say(`${what} ${info.method} ${info.path} failed (${info.error.message}); retrying in ${(info.delayMs / 1000).toFixed(1)} s (attempt ${info.attempt + 1})`);
  // Following, a source or Tamga that is away is waited for as long as it takes; catching up, for about ten minutes.
  const retry = { maxAttempts: values.follow ? Infinity : 14, initialDelayMs: 500, maxDelayMs: 60_000 };
  const stop = new AbortController();
  const onSignal = (): void => stop.abort(new Error('stopped'));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const puller = new AssetEventPuller({
    source: new TamgaClient({ url: sourceUrl, retry, onRetry: onRetry('the source:'), ...(fetchImpl !== undefined && { fetch: fetchImpl }) }),
    sourcePrefix: values['source-prefix'],
    ...(sourceToken !== undefined && { sourceToken }),
    tamga: new TamgaClient({ url, apiKey: key, retry, onRetry: onRetry('Tamga:'), ...(fetchImpl !== undefined && { fetch: fetchImpl }) }),
    state,
    save: (s) => writePullState(statePath, s),
    log: say,
    signal: stop.signal,
  });
  let exit: number = PULL_EXIT.ok;
  try {
    do {
      const report = await puller.pull();
      if (report.wentBackwards !== undefined) {
        // Loud on purpose: a restored source means events the journal holds were numbered again at the source.
        err.write(`\ntamga pull-events: WARNING: ${report.wentBackwards}\n\n`);
        exit = PULL_EXIT.idsWentBackwards;
        break;
      }
      if (report.copied > 0 || !values.follow) {
        say(`${report.copied} events copied; the source's newest is _id ${report.newestSourceId}, Tamga holds up to _id ${puller.state.lastId}`);
      }
      if (values.follow) await sleep(interval * 1000, stop.signal);
    } while (values.follow && !stop.signal.aborted);
  } catch (error) {
    if (stop.signal.aborted) {
      say(`stopped; the state holds source _id ${puller.state.lastId}`);
      return PULL_EXIT.ok;
    }
    say(`${(error as Error).message}`);
    say(`stopped; the state holds source _id ${puller.state.lastId}: run it again to go on from there`);
    return PULL_EXIT.failed;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  return exit;
}
