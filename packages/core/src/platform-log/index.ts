/**
 * The business platform's text log files (seed 003): an incremental splitter that cuts bytes into records with
 * their offsets, the record parser, time stamps in an IANA time zone, classification rules as data, and the event
 * each record becomes. Pure: `tamga ingest-log` does the reading and sending.
 */
export * from './platform-log-splitter.js';
export * from './parse-platform-log-record.js';
export * from './local-time-zone.js';
export * from './platform-log-rules.js';
export * from './platform-log-event.js';
