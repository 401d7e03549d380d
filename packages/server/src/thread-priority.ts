import { execFileSync } from 'node:child_process';
import { readlinkSync, writeFileSync } from 'node:fs';
import { setPriority } from 'node:os';

/**
 * Linux: lowers the calling thread alone to `nice` (`setpriority` on its thread id, read from /proc/thread-self), so
 * work that may wait (forwarding, queries) yields the cores to appends. Elsewhere, or when not allowed, nothing.
 */
export function lowerThreadPriority(nice: number): void {
  try {
    const tid = threadId();
    if (tid !== undefined) setPriority(tid, nice);
  } catch {
    // not Linux, or not allowed: the thread runs at normal priority
  }
}

/**
 * Linux: puts the calling thread alone in the SCHED_IDLE class (with util-linux's `chrt`, which any user may use to
 * lower a thread of their own): it runs only on CPU time no other thread wants, and a woken thread of the normal class
 * takes the core from it at once. A nice value only weighs it lower, and on a busy 2-core machine a woken append
 * thread may still wait out its slice. Returns false where that is not possible (the thread keeps its priority).
 */
export function idleThreadPriority(): boolean {
  try {
    const tid = threadId();
    if (tid === undefined) return false;
    execFileSync('chrt', ['--idle', '--pid', '0', String(tid)], { stdio: 'ignore', timeout: 5_000 });
    return true;
  } catch {
    return false;
  }
}

/** The calling thread's Linux thread id (/proc/thread-self), or undefined elsewhere. */
function threadId(): number | undefined {
  const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
  return Number.isInteger(tid) && tid > 0 ? tid : undefined;
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
