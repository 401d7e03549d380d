// A producer in a process of its own, for the tests that kill or end it (producer-process.test.ts). It runs the
// built SDK (packages/sdk/dist, `npm run build`), as an application would. Usage:
//   node producer-child.js crash URL SPOOL_DIR      log {event: 2001, entityData: {n}} forever, 1,000 at a time,
//                                                  printing "synced <count>" once each step is in the spool
//   node producer-child.js exit URL COUNT           log COUNT events without a spool, then process.exit(0)
//   node producer-child.js end URL COUNT            log COUNT events without a spool and let the process end
import { TamgaProducer } from '@tamga/sdk';

const [mode, url, arg] = process.argv.slice(2);
const apiKey = process.env.TAMGA_API_KEY;

if (mode === 'crash') {
  const producer = new TamgaProducer({ url, apiKey, spool: arg, lingerMs: 20, retry: { initialDelayMs: 50, maxDelayMs: 500 }, warn: () => {} });
  let n = 0;
  for (;;) {
    for (let i = 0; i < 1000; i++) producer.log({ event: 2001, userId: 'crash', entityData: { n: n++ } });
    await producer.sync();
    process.stdout.write(`synced ${n}\n`);
  }
} else {
  const producer = new TamgaProducer({ url, apiKey, retry: { initialDelayMs: 50, maxDelayMs: 500 }, exitTimeoutMs: 2000 });
  for (let n = 0; n < Number(arg); n++) producer.log({ event: 2001, userId: mode, entityData: { n } });
  if (mode === 'exit') process.exit(0);
}
