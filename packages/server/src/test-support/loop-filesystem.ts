import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { it } from 'vitest';

/**
 * A small ext4 file system in an image file, loop-mounted, on which a test can cut the power (the kernel's
 * `EXT4_IOC_SHUTDOWN`: from then on every read and write fails and nothing more reaches the image, as after a
 * power cut), remount it and see what survived, or fill it up. Needs root, `mkfs.ext4`, `mount` with loop
 * devices, and `perl` (for the ioctl); `.ci/run` installs what is missing.
 */
export interface LoopFilesystem {
  /** Where it is mounted. */
  readonly path: string;
  /**
   * Cuts the power: `EXT4_IOC_SHUTDOWN` with `EXT4_GOING_FLAGS_NOLOGFLUSH` (Linux fs/ext4/ioctl.c), which stops
   * the file system without flushing the journal, so only what was already durable is left in the image.
   */
  shutdown(): void;
  /** Unmounts (the processes using it must have exited) and mounts the image again: the journal is replayed. */
  remount(): void;
  /** Fills the free space with one file (`.filler`), so the next write that needs a block fails with ENOSPC. */
  fill(): void;
  /** Removes the file {@link fill} made. */
  unfill(): void;
  /** Unmounts (lazily when still busy) and deletes the image. */
  destroy(): void;
}

/** `_IOR('X', 125, __u32)`: include/uapi/linux/fs.h `FS_IOC_SHUTDOWN` (ext4's `EXT4_IOC_SHUTDOWN`). */
const FS_IOC_SHUTDOWN = 0x8004587d;
/** `EXT4_GOING_FLAGS_NOLOGFLUSH`: shut down without flushing the journal (a power cut). */
const GOING_NOLOGFLUSH = 2;

const PERL_SHUTDOWN = `open(my $d, '<', $ARGV[0]) or die "open $ARGV[0]: $!\\n"; my $flags = pack('L', ${GOING_NOLOGFLUSH}); ioctl($d, ${FS_IOC_SHUTDOWN}, $flags) or die "ioctl: $!\\n";`;

function run(command: string, args: readonly string[]): string {
  return execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Why loop-mounted file systems cannot be used here, or undefined when they can. */
export function loopFilesystemUnavailable(): string | undefined {
  if (process.platform !== 'linux') return `${process.platform} is not Linux`;
  if (process.getuid?.() !== 0) return 'the tests do not run as root (mount needs it)';
  for (const command of ['mkfs.ext4', 'mount', 'umount', 'perl']) {
    try {
      run('sh', ['-c', `command -v ${command}`]);
    } catch {
      return `${command} is not installed`;
    }
  }
  if (!existsSync('/dev/loop-control')) return 'there is no /dev/loop-control (no loop devices)';
  return undefined;
}

/**
 * Makes and mounts an ext4 file system of `sizeMiB` MiB. No reserved blocks (`-m 0`), so "full" means full even
 * for root; 4 KiB blocks like a real disk.
 */
export function createLoopFilesystem(sizeMiB = 64): LoopFilesystem {
  const work = mkdtempSync(join(tmpdir(), 'tamga-loopfs-'));
  const image = join(work, 'disk.img');
  const path = join(work, 'mnt');
  mkdirSync(path);
  run('truncate', ['-s', `${sizeMiB}M`, image]);
  run('mkfs.ext4', ['-q', '-F', '-m', '0', '-b', '4096', image]);
  const mount = (): void => void run('mount', ['-o', 'loop', image, path]);
  const unmount = (lazy = false): void => void run('umount', lazy ? ['-l', path] : [path]);
  mount();
  let mounted = true;
  return {
    path,
    shutdown: () => void run('perl', ['-e', PERL_SHUTDOWN, path]),
    remount() {
      unmount();
      mount();
    },
    fill() {
      // dd stops at ENOSPC and exits non-zero: that is the point.
      try {
        run('dd', ['if=/dev/zero', `of=${join(path, '.filler')}`, 'bs=1M', `count=${sizeMiB}`]);
      } catch {
        // full
      }
      run('sync', ['-f', path]);
    },
    unfill() {
      rmSync(join(path, '.filler'), { force: true });
      run('sync', ['-f', path]);
    },
    destroy() {
      if (mounted) {
        try {
          unmount();
        } catch {
          unmount(true);
        }
        mounted = false;
      }
      rmSync(work, { recursive: true, force: true });
    },
  };
}

/**
 * Says loudly that a suite needing a loop-mounted file system cannot run. With `CI=true` it registers a failing
 * test instead (CI runs as root and installs the tools): there a missing one is a failure, never a silent skip.
 */
export function reportMissingLoopFilesystem(suite: string, reason: string): void {
  console.warn(`\n*** ${suite} needs a loop-mounted ext4 file system, but ${reason}: it is SKIPPED ***\n`);
  if (process.env.CI === 'true') {
    it(`${suite} can mount a loop file system (required in CI)`, () => {
      throw new Error(`${suite} cannot run: ${reason}`);
    });
  } else {
    it.skip(`${suite} (${reason})`, () => undefined);
  }
}
