import { readlinkSync, writeFileSync } from 'node:fs';
import { setPriority } from 'node:os';

/**
 * Linux: lowers the calling thread alone to `nice` (`setpriority` on its thread id, read from /proc/thread-self), so
 * work that may wait (forwarding, queries) yields the cores to appends. Elsewhere, or when not allowed, nothing.
 */
export function lowerThreadPriority(nice: number): void {
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (Number.isInteger(tid) && tid > 0) setPriority(tid, nice);
  } catch {
    // not Linux, or not allowed: the thread runs at normal priority
  }
}

/**
 * Linux: names the calling thread (at most 15 bytes, `/proc/thread-self/comm`), so `top -H`, `ps -L` and profilers
 * tell Tamga's threads apart (`tamga-writer`, `tamga-reader`, `tamga-forward`…). Elsewhere, nothing.
 */
export function nameThread(name: string): void {
  try {
    writeFileSync('/proc/thread-self/comm', name.slice(0, 15));
  } catch {
    // not Linux: threads keep the process's name
  }
}
