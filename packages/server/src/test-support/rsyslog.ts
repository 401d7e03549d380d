import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { it } from 'vitest';

/** Where Debian puts rsyslogd (package rsyslog; TLS needs rsyslog-openssl). `.ci/run` installs both. */
export const RSYSLOGD = '/usr/sbin/rsyslogd';

/** Whether rsyslogd with its OpenSSL network driver (RFC 5425) is installed. */
export function hasRsyslog(): boolean {
  if (!existsSync(RSYSLOGD)) return false;
  const modules = spawnSync('sh', ['-c', 'ls /usr/lib/*/rsyslog/lmnsd_ossl.so /usr/lib/rsyslog/lmnsd_ossl.so 2>/dev/null'], { encoding: 'utf8' });
  return modules.stdout.trim() !== '';
}

/**
 * Says loudly that an rsyslog suite cannot run. With `CI=true` it registers a failing test instead: in CI a missing
 * rsyslog is a failure, never a silent skip.
 */
export function reportMissingRsyslog(suite: string): void {
  const message = `rsyslogd (Debian packages rsyslog and rsyslog-openssl) is not installed: ${suite} is SKIPPED`;
  console.warn(`\n*** ${message} ***\n`);
  if (process.env.CI === 'true') {
    it(`${suite} finds rsyslogd (required in CI)`, () => {
      throw new Error(`${message}; .ci/run installs it with apt-get install -y rsyslog rsyslog-openssl`);
    });
  } else {
    it.skip(`${suite} (rsyslogd not installed)`, () => undefined);
  }
}

/** A free TCP port on loopback (and, when `udp`, free for UDP too). */
async function freePort(udp = false): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((resolve, reject) => {
      const server = createServer();
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        const { port: p } = server.address() as AddressInfo;
        server.close(() => resolve(p));
      });
    });
    if (!udp) return port;
    const free = await new Promise<boolean>((resolve) => {
      const socket = createSocket('udp4');
      socket.once('error', () => resolve(false));
      socket.bind(port, '127.0.0.1', () => socket.close(() => resolve(true)));
    });
    if (free) return port;
  }
}

/** TLS files rsyslog serves with (server certificate and key, and the CA, PEM files). */
export interface RsyslogTls {
  readonly caFile: string;
  readonly certFile: string;
  readonly keyFile: string;
}

/** A message rsyslog received, as it arrived (the frame's bytes, framing removed), and on which input. */
export interface ReceivedSyslog {
  readonly input: 'tcp' | 'tls' | 'udp';
  readonly bytes: Buffer;
}

/**
 * Debian's rsyslogd, started by a test with its own configuration on free loopback ports: plain TCP (imtcp,
 * octet-counted framing per RFC 6587), TLS (imtcp with the OpenSSL driver, RFC 5425) and UDP (imudp). Every message
 * is written to one file exactly as received (`%rawmsg%`, JSON-escaped, control characters kept), so a test reads
 * back the bytes Tamga sent. It can be stopped and started again on the same ports.
 */
export class Rsyslog {
  readonly dir: string;
  readonly ports: { tcp: number; tls: number; udp: number } = { tcp: 0, tls: 0, udp: 0 };
  #process: ChildProcess | undefined;
  #stderr = '';
  readonly #tls: RsyslogTls;
  #probes = 0;

  constructor(dir: string, tls: RsyslogTls) {
    this.dir = dir;
    this.#tls = tls;
  }

  get #output(): string {
    return join(this.dir, 'received.log');
  }

  /** Starts rsyslogd (on free ports the first time, on the same ports afterwards) and waits until it listens. */
  async start(): Promise<this> {
    if (this.ports.tcp === 0) {
      this.ports.tcp = await freePort();
      this.ports.tls = await freePort();
      this.ports.udp = await freePort(true);
    }
    const conf = join(this.dir, 'rsyslog.conf');
    writeFileSync(
      conf,
      `global(workDirectory="${this.dir}" maxMessageSize="256k" parser.escapeControlCharactersOnReceive="off" net.enableDNS="off"
  defaultNetstreamDriverCAFile="${this.#tls.caFile}" defaultNetstreamDriverCertFile="${this.#tls.certFile}"
  defaultNetstreamDriverKeyFile="${this.#tls.keyFile}")
module(load="imtcp" maxSessions="200")
module(load="imudp")
input(type="imtcp" address="127.0.0.1" port="${this.ports.tcp}" name="tcp")
input(type="imtcp" address="127.0.0.1" port="${this.ports.tls}" name="tls" streamDriver.name="ossl" streamDriver.mode="1" streamDriver.authMode="anon")
input(type="imudp" address="127.0.0.1" port="${this.ports.udp}" name="udp")
template(name="exact" type="list") {
  property(name="inputname") constant(value=" \\"") property(name="rawmsg" format="json") constant(value="\\"\\n")
}
action(type="omfile" file="${this.#output}" template="exact")
`,
    );
    const child = spawn(RSYSLOGD, ['-n', '-f', conf, '-i', join(this.dir, 'rsyslogd.pid')], { stdio: ['ignore', 'ignore', 'pipe'] });
    this.#stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (this.#stderr += chunk.toString()));
    this.#process = child;
    const deadline = Date.now() + 15_000;
    for (const port of [this.ports.tcp, this.ports.tls]) {
      while (!(await canConnect(port))) {
        if (child.exitCode !== null || Date.now() > deadline) throw new Error(`rsyslogd did not start: ${this.#stderr}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    // imudp binds on its own schedule: a probe datagram that shows up in the file says it listens.
    const probe = `<14>1 - - probe - - - ready ${++this.#probes}`;
    const socket = createSocket('udp4');
    try {
      while (!this.#lines().some((l) => l.input === 'udp' && l.bytes.toString() === probe)) {
        if (Date.now() > deadline) throw new Error(`rsyslogd does not receive UDP: ${this.#stderr}`);
        socket.send(probe, this.ports.udp, '127.0.0.1');
        await new Promise((r) => setTimeout(r, 100));
      }
    } finally {
      socket.close();
    }
    return this;
  }

  /** Stops rsyslogd gracefully (SIGTERM, as a service stop does) and waits for it to exit. */
  async stop(): Promise<void> {
    const child = this.#process;
    this.#process = undefined;
    if (child === undefined || child.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    await exited;
  }

  /** What a failed test needs to tell rsyslog's side from Tamga's: whether rsyslogd runs, what it wrote, what it said. */
  describe(): string {
    const child = this.#process;
    const state = child === undefined ? 'stopped by the test' : child.exitCode === null && child.signalCode === null ? `running (pid ${child.pid})` : `exited (${child.exitCode ?? child.signalCode})`;
    const counts: Record<string, number> = {};
    for (const line of this.#lines()) counts[line.input] = (counts[line.input] ?? 0) + 1;
    const size = existsSync(this.#output) ? statSync(this.#output).size : 0;
    return `rsyslogd ${state}; ${this.#output}: ${size} bytes, complete lines by input ${JSON.stringify(counts)}; stderr: ${JSON.stringify(this.#stderr.slice(-2_000))}`;
  }

  #lines(): ReceivedSyslog[] {
    if (!existsSync(this.#output)) return [];
    // Complete lines only: rsyslogd may be writing the last one while it is read.
    const lines = readFileSync(this.#output, 'utf8').split('\n');
    lines.pop();
    return lines
      .filter((line) => line !== '')
      .map((line) => {
        const space = line.indexOf(' ');
        return { input: line.slice(0, space) as ReceivedSyslog['input'], bytes: Buffer.from(JSON.parse(line.slice(space + 1)) as string, 'utf8') };
      });
  }

  /**
   * Every message received on `input` (or on any of the three) so far, in the order rsyslog wrote them; probes and
   * rsyslogd's own messages left out.
   */
  received(input?: ReceivedSyslog['input']): ReceivedSyslog[] {
    return this.#lines().filter(
      (l) => (input === undefined ? ['tcp', 'tls', 'udp'].includes(l.input) : l.input === input) && !l.bytes.toString().startsWith('<14>1 - - probe '),
    );
  }
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
