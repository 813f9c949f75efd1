// RFC 3339 timestamps with a nanosecond field (docs/contract.md §2: Cloudflare's "RFC3339Nano").
// Stored and served as fixed-width strings ("2026-07-01T12:00:00.123456789Z"), which sort
// lexicographically in time order in both backends.

const NANOS_PER_MS = 1_000_000n;
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

export function formatTimestamp(nanos: bigint): string {
  const seconds = nanos / NANOS_PER_SECOND;
  const fraction = (nanos % NANOS_PER_SECOND).toString().padStart(9, '0');
  return `${new Date(Number(seconds) * 1000).toISOString().slice(0, 19)}.${fraction}Z`;
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
  const candidate = nowNanos();
  const floor = parseTimestamp(previous) + 1n;
  return formatTimestamp(candidate > floor ? candidate : floor);
}
