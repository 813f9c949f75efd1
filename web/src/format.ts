// How API values read to people: environment names, relative and exact times, counts.

const ENVIRONMENT_LABELS: Record<string, string> = {
  windows: 'Windows',
  macos: 'macOS',
  linux: 'Linux',
  ios: 'iOS',
  android: 'Android',
  chromeos: 'ChromeOS',
};

/** `null` is the catch-all entry (docs/contract.md §4): every environment without its own entry. */
export function environmentLabel(environment: string | null): string {
  if (environment === null) return 'All other environments';
  return ENVIRONMENT_LABELS[environment] ?? environment;
}

export function plural(count: number, one: string, many: string): string {
  return `${count.toLocaleString()} ${count === 1 ? one : many}`;
}

/** RFC 3339 with nanoseconds → Date (JavaScript keeps milliseconds; Date.parse may reject more digits). */
export function parseTimestamp(value: string): Date {
  return new Date(value.replace(/(\.\d{3})\d+/, '$1'));
}

const UNITS: [Intl.RelativeTimeFormatUnit, number][] = [
  ['year', 365 * 24 * 3600],
  ['month', 30 * 24 * 3600],
  ['week', 7 * 24 * 3600],
  ['day', 24 * 3600],
  ['hour', 3600],
  ['minute', 60],
];

const relative = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });

export function relativeTime(date: Date, now: number = Date.now()): string {
  const seconds = (date.getTime() - now) / 1000;
  if (Math.abs(seconds) < 45) return 'just now';
  for (const [unit, size] of UNITS) {
    if (Math.abs(seconds) >= size * 0.9 || unit === 'minute') {
      return relative.format(Math.round(seconds / size), unit);
    }
  }
  return 'just now';
}

const exact = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'long' });

/** The local time for people and the stored UTC value for copying into tickets. */
export function exactTime(value: string): string {
  const date = parseTimestamp(value);
  return Number.isNaN(date.getTime()) ? value : `${exact.format(date)} (${value})`;
}
