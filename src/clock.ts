// RFC 3339 timestamps with a nanosecond field (docs/contract.md §2: Cloudflare's "RFC3339Nano").
// Stored and served as fixed-width strings ("2026-07-01T12:00:00.123456789Z"), which sort
// lexicographically in time order in both backends.

export const NANOS_PER_MS = 1_000_000n;
const NANOS_PER_SECOND = 1_000_000_000n;
export const NANOS_PER_DAY = 86_400n * NANOS_PER_SECOND;
let last = 0n;

/** The wall clock's milliseconds, with the sub-millisecond digits from the high-resolution clock. */
function wallClock(): bigint {
  return BigInt(Date.now()) * NANOS_PER_MS + (process.hrtime.bigint() % NANOS_PER_MS);
}

let source: () => bigint = wallClock;

/**
 * Replaces the time source of this process (tests: a retention of 365 days is tested by moving the clock,
 * never by waiting); no argument restores the wall clock.
 */
export function setClock(next: (() => bigint) | undefined = undefined): void {
  source = next ?? wallClock;
  last = 0n;
}

/** Nanoseconds since the epoch from the time source, never the same value twice in this process. */
export function nowNanos(): bigint {
  const now = source();
  last = now > last ? now : last + 1n;
  return last;
}

/** The last second formatted, as "YYYY-MM-DDTHH:MM:SS": a write formats two timestamps, mostly of one second. */
let formatted = { seconds: -1n, text: '' };

export function formatTimestamp(nanos: bigint): string {
  const seconds = nanos / NANOS_PER_SECOND;
  if (seconds !== formatted.seconds) {
    formatted = { seconds, text: new Date(Number(seconds) * 1000).toISOString().slice(0, 19) };
  }
  const fraction = (nanos % NANOS_PER_SECOND).toString().padStart(9, '0');
  return `${formatted.text}.${fraction}Z`;
}

export function parseTimestamp(timestamp: string): bigint {
  const seconds = BigInt(Date.parse(`${timestamp.slice(0, 19)}Z`) / 1000);
  return seconds * NANOS_PER_SECOND + BigInt(timestamp.slice(20, 29));
}

export function now(): string {
  return formatTimestamp(nowNanos());
}

/** A timestamp strictly later than `previous`, even if another replica's clock is ahead of ours. */
export function nowAfter(previous: string): string {
  // Fixed-width timestamps compare as their instants do: parsed only when our clock is not ahead.
  const candidate = formatTimestamp(nowNanos());
  return candidate > previous ? candidate : formatTimestamp(parseTimestamp(previous) + 1n);
}

const FULL_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:[Zz]|([+-])(\d{2}):(\d{2}))$/;

/**
 * An RFC 3339 `full-date` (midnight UTC, as Cloudflare's audit logs read it) or `date-time` as nanoseconds
 * since the epoch; undefined when it is neither, or names no real instant (2026-02-30, 24:00, a +25:00
 * offset). Leap seconds (:60) are refused: nothing here is stamped with one.
 */
export function parseDateOrDateTime(text: string): bigint | undefined {
  const date = FULL_DATE.exec(text);
  const parts = date ?? DATE_TIME.exec(text);
  if (!parts) return undefined;
  // A full-date has no time fields: they are midnight.
  const [year, month, day, hour, minute, second] = Array.from({ length: 6 }, (_, i) =>
    Number(parts[i + 1] ?? 0),
  ) as [number, number, number, number, number, number];
  const [fraction, sign, offsetHours, offsetMinutes] = date ? [] : parts.slice(7);
  // Not Date.UTC: it reads years 0–99 as 1900–1999.
  const check = new Date(0);
  check.setUTCFullYear(year, month - 1, day);
  check.setUTCHours(hour, minute, second, 0);
  const millis = check.getTime();
  const real =
    year >= 1 &&
    check.getUTCFullYear() === year &&
    check.getUTCMonth() === month - 1 &&
    check.getUTCDate() === day &&
    check.getUTCHours() === hour &&
    check.getUTCMinutes() === minute &&
    check.getUTCSeconds() === second &&
    Number(offsetHours ?? 0) <= 23 &&
    Number(offsetMinutes ?? 0) <= 59;
  if (!real) return undefined;
  const offset = (Number(offsetHours ?? 0) * 60 + Number(offsetMinutes ?? 0)) * (sign === '-' ? -1 : 1);
  const nanos = (BigInt(millis) - BigInt(offset) * 60_000n) * NANOS_PER_MS;
  return nanos + BigInt((fraction ?? '').padEnd(9, '0'));
}
