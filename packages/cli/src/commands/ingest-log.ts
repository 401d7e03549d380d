import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_TENANT_NAME, LocalTimeZone, parsePlatformLogRules, TamgaError, TENANT_ID_RE } from '@tamga/core';
import type { PlatformLogRules } from '@tamga/core';
import { TamgaClient } from '@tamga/sdk';
import type { TamgaEvent } from '@tamga/sdk';
import { defaultCatalogDir, loadBuiltinCatalogs } from '@tamga/server';
import { IngestState } from '../platform-log/ingest-state.js';
import { LogIngester } from '../platform-log/log-ingester.js';
import type { EventSink, IngestSummary } from '../platform-log/log-ingester.js';
import { compileNameGlob } from '../platform-log/name-glob.js';
import { numberOption, parseCommand, requireGiven, usageError } from '../cli-args.js';

const USAGE = `Usage: tamga ingest-log --url URL --api-key KEY --tenant T --state FILE [--timezone TZ] [--follow]
                        [--dry-run] [--glob PATTERNS] [--rules FILE] PATH...
Reads the business platform's text log files (seed 003) and sends every record to Tamga as a signed event, once.
PATH: files, or directories whose files match --glob (default "*.log,*.log.*"; .gz files are read decompressed).

  --url URL            the Tamga server, e.g. http://localhost:7300
  --api-key KEY        an API key that may append to the tenant (or TAMGA_API_KEY)
  --tenant T           the tenant the events go to (default: the default tenant)
  --state FILE         where the progress per file is kept; written only after the server acknowledged
  --timezone TZ        IANA time zone of the log's time stamps (default: this machine's, e.g. Europe/Moscow)
  --follow             keep reading as the files grow and rotate (rename, copy-and-truncate, compression)
  --dry-run            print the events as NDJSON and send nothing (no --url, --api-key or --state needed)
  --rules FILE         classification rules (default: catalogs/platform-security.rules.yaml)
  --multiline-timeout S  seconds a record may wait for more lines before it is sent (default 5)
  --poll S             seconds between looks at followed files (default 1)
  --batch N            events per request (default 1000)
  --progress S         seconds between progress lines on standard error (default 10; 0: none)
Exit status: 0 everything read was sent and acknowledged; 1 something was not (a file skipped, the server
refused or could not be reached: rerun, nothing is sent twice); 2 wrong usage or configuration.`;

/**
 * `tamga ingest-log`: the business platform's log files into a tenant's log (seed 003). See {@link LogIngester}.
 *
 * @returns the exit code: 0 everything read was sent and acknowledged, 1 not everything was, 2 wrong usage.
 */
export async function ingestLog(
  args: readonly string[],
  out: NodeJS.WritableStream = process.stdout,
  err: NodeJS.WritableStream = process.stderr,
  options: { readonly signal?: AbortSignal; readonly fetch?: typeof fetch } = {},
): Promise<number> {
  const { values, positionals } = parseCommand({
    command: 'tamga ingest-log',
    usage: USAGE,
    allowPositionals: true,
    options: {
      url: { type: 'string' },
      'api-key': { type: 'string' },
      tenant: { type: 'string', default: DEFAULT_TENANT_NAME },
      state: { type: 'string' },
      timezone: { type: 'string' },
      follow: { type: 'boolean', default: false },
      'dry-run': { type: 'boolean', default: false },
      glob: { type: 'string', default: '*.log,*.log.*' },
      rules: { type: 'string' },
      'multiline-timeout': { type: 'string', default: '5' },
      poll: { type: 'string', default: '1' },
      batch: { type: 'string', default: '1000' },
      progress: { type: 'string', default: '10' },
    },
  }, args);
  const isDryRun = values['dry-run'];
  const apiKey = values['api-key'] ?? process.env.TAMGA_API_KEY;
  requireGiven('tamga ingest-log', [
    positionals.length === 0 && 'PATH',
    !isDryRun && values.url === undefined && '--url',
    !isDryRun && apiKey === undefined && '--api-key (or TAMGA_API_KEY)',
    !isDryRun && values.state === undefined && '--state',
  ]);
  const tenant = values.tenant;
  if (tenant !== DEFAULT_TENANT_NAME && !TENANT_ID_RE.test(tenant)) {
    throw usageError('tamga ingest-log', `--tenant "${tenant}" is not a tenant id (letters, digits, ".", "_", "-")`);
  }
  const seconds = (name: 'multiline-timeout' | 'poll' | 'progress', min: number): number => Math.round(numberOption('tamga ingest-log', name, values[name], { min }) * 1000);
  // The server takes at most 10,000 events a request.
  const batch = numberOption('tamga ingest-log', 'batch', values.batch, { min: 1, max: 10_000, integer: true });

  const zone = new LocalTimeZone(values.timezone);
  const catalogs = loadBuiltinCatalogs();
  const rulesPath = values.rules ?? join(defaultCatalogDir(), 'platform-security.rules.yaml');
  const rules = loadRules(rulesPath, (code) => catalogs.byCode(code));
  const matches = compileNameGlob(values.glob);
  const url = values.url ?? '';
  const state = values.state === undefined ? undefined : IngestState.load(values.state, { url: url.replace(/\/+$/, ''), tenant });
  const report = (line: string): void => void err.write(`${line}\n`);

  const stop = new AbortController();
  const onSignal = (): void => stop.abort();
  options.signal?.addEventListener('abort', onSignal, { once: true });
  const isOwnProcess = options.signal === undefined;
  if (isOwnProcess) {
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  }

  const tenantId = tenant === DEFAULT_TENANT_NAME ? null : tenant;
  let sink: EventSink;
  if (isDryRun) {
    sink = (events) => {
      out.write(events.map((e) => `${JSON.stringify(e)}\n`).join(''));
      return Promise.resolve({ duplicates: 0 });
    };
  } else {
    const client = new TamgaClient({
      url,
      ...(apiKey !== undefined && { apiKey }),
      ...(options.fetch !== undefined && { fetch: options.fetch }),
      // Following, an outage is waited out (and said); a single run gives up after the client's default attempts.
      ...(values.follow && { retry: { maxAttempts: Infinity } }),
      onRetry: (info) => report(`Tamga did not take the events (${info.error.message}); trying again in ${(info.delayMs / 1000).toFixed(1)} s`),
    });
    // The builder makes events the server validates (core tests check each against validateEventInput).
    sink = (events, signal) => client.appendCounting(events as readonly TamgaEvent[], { signal });
  }

  report(`tamga ingest-log: ${positionals.join(', ')} → ${isDryRun ? 'standard output (dry run)' : `${url} tenant ${tenant}`}; time zone ${zone.name}; rules ${rulesPath}${values.follow ? '; following' : ''}`);
  const ingester = new LogIngester({
    paths: positionals,
    matches,
    rules,
    zone,
    tenantId,
    state,
    isStateWritten: !isDryRun,
    sink,
    follow: values.follow,
    pollMs: seconds('poll', 0.05),
    multilineTimeoutMs: seconds('multiline-timeout', 0),
    batchSize: batch,
    nameOf: (code) => catalogs.byCode(code)?.name,
    report,
    progressMs: seconds('progress', 0),
    signal: stop.signal,
  });
  let summary: IngestSummary;
  try {
    summary = await ingester.run();
  } finally {
    options.signal?.removeEventListener('abort', onSignal);
    if (isOwnProcess) {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  }
  err.write(formatSummary(summary, (code) => catalogs.byCode(code)?.name, isDryRun));
  return summary.isComplete ? 0 : 1;
}

function loadRules(path: string, lookup: Parameters<typeof parsePlatformLogRules>[2]): PlatformLogRules {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new TamgaError('CONFIG_INVALID', `Cannot read the rules file ${path}: ${(error as Error).message}`, { field: '--rules' });
  }
  try {
    return parsePlatformLogRules(text, path, lookup);
  } catch (error) {
    const problems = (error as { details?: { problems?: { source: string; line: number | null; path: string; message: string }[] } }).details?.problems;
    if (problems === undefined) throw error;
    const lines = problems.map((p) => `  ${p.source}:${p.line ?? '?'}: ${p.path === '' ? '' : `${p.path}: `}${p.message}`).join('\n');
    throw new TamgaError('CATALOG_INVALID', `the rules file is invalid:\n${lines}\n`, { field: '--rules' });
  }
}

function formatSummary(s: IngestSummary, nameOf: (code: number) => string | undefined, isDryRun: boolean): string {
  const fmt = (n: number): string => n.toLocaleString('en-US');
  const lines = [
    isDryRun
      ? `Read ${fmt(s.lines)} lines, ${fmt(s.records)} records; printed ${fmt(s.sent)} events, nothing sent (dry run).`
      : `Read ${fmt(s.lines)} lines, ${fmt(s.records)} records; sent ${fmt(s.sent)} events: ${fmt(s.stored)} stored now, ${fmt(s.alreadyStored)} already stored.`,
  ];
  for (const [code, n] of s.byCode) lines.push(`  ${code} ${(nameOf(code) ?? '').padEnd(34)} ${fmt(n).padStart(10)}`);
  if (s.recordsWithProblems > 0) lines.push(`${fmt(s.recordsWithProblems)} records had problems (above; each is also in its event's entityData.problems).`);
  if (s.pendingBytes > 0) lines.push(`${fmt(s.pendingBytes)} bytes wait for their records to end; the next run sends them.`);
  if (s.skipped.length > 0) lines.push(`Not read: ${s.skipped.join('; ')}`);
  if (s.failure !== undefined) lines.push(`Sending stopped: ${s.failure}. The state file keeps what was acknowledged; run again to send the rest.`);
  if (!s.isComplete) lines.push('Not everything was sent (exit status 1).');
  return `${lines.join('\n')}\n`;
}
