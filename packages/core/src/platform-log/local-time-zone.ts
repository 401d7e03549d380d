import { ValidationError } from '../errors.js';

/** A wall-clock time placed in a time zone. */
export interface ZonedInstant {
  /** The instant, Unix milliseconds (UTC). */
  readonly utcMs: number;
  /** Offset from UTC at that instant, in minutes (Moscow: 180). */
  readonly offsetMinutes: number;
  /** The wall time happened twice (clocks went back); the instant is the one {@link LocalTimeZone.resolve} chose. */
  readonly isAmbiguous: boolean;
  /** The wall time never happened (clocks went forward): it was read with the offset before the change. */
  readonly isSkipped: boolean;
}

const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;
/** Offsets are cached per quarter hour of UTC: time-zone changes happen on whole minutes, today on quarter hours. */
const BUCKET = 15 * MINUTE;

/**
 * An IANA time zone (`Europe/Moscow`) that turns the platform log's wall-clock time stamps, which carry no offset,
 * into instants. Uses the runtime's time-zone data through `Intl`; offsets are cached per quarter hour, so a
 * conversion is a few map lookups.
 *
 * Around a change of offset: a wall time that happened twice (autumn, clocks back) is the earlier instant unless
 * a lower bound says otherwise — the parser passes the previous record's instant, so a log that goes on through
 * the repeated hour stays in order; a wall time that never happened (spring, clocks forward) is read with the
 * offset before the change (as Temporal's `compatible` does) and flagged.
 *
 * @example
 * new LocalTimeZone('Europe/Moscow').resolve(Date.UTC(2023, 10, 30, 14, 34, 23, 448)).utcMs
 * // → Date.UTC(2023, 10, 30, 11, 34, 23, 448)
 */
export class LocalTimeZone {
  /** The zone's IANA name as the runtime spells it. */
  readonly name: string;
  readonly #format: Intl.DateTimeFormat;
  readonly #offsets = new Map<number, number>();

  /**
   * @param name - an IANA zone name (`Europe/Moscow`, `UTC`), or undefined for the machine's zone.
   * @throws ValidationError `CONFIG_INVALID` naming the zone when the runtime does not know it.
   */
  constructor(name?: string) {
    try {
      this.#format = new Intl.DateTimeFormat('en-US', {
        ...(name !== undefined && { timeZone: name }),
        hourCycle: 'h23',
        year: 'numeric',
        month: 'numeric',
        day: 'numeric',
        hour: 'numeric',
        minute: 'numeric',
        second: 'numeric',
      });
    } catch (error) {
      throw new ValidationError('CONFIG_INVALID', `Unknown time zone "${name}": give an IANA name such as Europe/Moscow or UTC`, { field: 'timezone' }, { cause: error });
    }
    this.name = this.#format.resolvedOptions().timeZone;
  }

  /** Offset from UTC in minutes at the instant `utcMs`. */
  offsetAt(utcMs: number): number {
    const bucket = Math.floor(utcMs / BUCKET);
    let offset = this.#offsets.get(bucket);
    if (offset === undefined) {
      offset = this.#exactOffset(bucket * BUCKET);
      // A change inside the bucket (historic offsets with seconds) is looked up exactly each time.
      if (this.#exactOffset(bucket * BUCKET + BUCKET - 1000) !== offset) return this.#exactOffset(utcMs);
      if (this.#offsets.size > 100_000) this.#offsets.clear();
      this.#offsets.set(bucket, offset);
    }
    return offset;
  }

  #exactOffset(utcMs: number): number {
    const parts = this.#format.formatToParts(new Date(utcMs));
    const get = (type: Intl.DateTimeFormatPartTypes): number => Number(parts.find((p) => p.type === type)?.value);
    const wall = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
    return Math.round((wall - Math.floor(utcMs / 1000) * 1000) / MINUTE);
  }

  /**
   * The instant of a wall-clock time in this zone.
   *
   * @param wallMs - the wall time written as if it were UTC: `Date.UTC(year, month - 1, day, h, m, s, ms)`.
   * @param notBeforeMs - when the wall time happened twice, the instant chosen is the earliest one not before this
   *   (the previous record's instant); default: the earlier one.
   */
  resolve(wallMs: number, notBeforeMs?: number): ZonedInstant {
    // The offsets a day before and after bound every offset this wall time can have.
    const before = this.offsetAt(wallMs - DAY);
    const after = this.offsetAt(wallMs + DAY);
    if (before === after && this.offsetAt(wallMs - before * MINUTE) === before) {
      return { utcMs: wallMs - before * MINUTE, offsetMinutes: before, isAmbiguous: false, isSkipped: false };
    }
    const candidates: { utcMs: number; offsetMinutes: number }[] = [];
    for (const offset of new Set([before, after, this.offsetAt(wallMs - HOUR * 12), this.offsetAt(wallMs)])) {
      const utcMs = wallMs - offset * MINUTE;
      if (this.offsetAt(utcMs) === offset && !candidates.some((c) => c.utcMs === utcMs)) candidates.push({ utcMs, offsetMinutes: offset });
    }
    candidates.sort((a, b) => a.utcMs - b.utcMs);
    if (candidates.length === 0) {
      // Skipped: clocks jumped over this wall time. Read it with the offset in force before the jump.
      return { utcMs: wallMs - before * MINUTE, offsetMinutes: before, isAmbiguous: false, isSkipped: true };
    }
    const chosen = (notBeforeMs !== undefined && candidates.find((c) => c.utcMs >= notBeforeMs)) || candidates[0]!;
    return { ...chosen, isAmbiguous: candidates.length > 1, isSkipped: false };
  }
}

/** `+03:00`, `-04:30`, `+00:00` for an offset in minutes. */
export function formatUtcOffset(offsetMinutes: number): string {
  const sign = offsetMinutes < 0 ? '-' : '+';
  const abs = Math.abs(offsetMinutes);
  return `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}
