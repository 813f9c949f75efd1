// The process's logger: pino, writing JSON lines (LOG_FORMAT=json, the default when stdout is not a
// terminal: for log collectors) or one readable line per entry (LOG_FORMAT=pretty). The pretty form is a
// few lines here rather than pino-pretty, which would bring a dozen packages for the same result.
import { pino } from 'pino';
import type { LogFormat, LogLevel } from '../config.ts';

const LEVELS: Record<number, string> = {
  10: 'TRACE',
  20: 'DEBUG',
  30: 'INFO',
  40: 'WARN',
  50: 'ERROR',
  60: 'FATAL',
};
/** Fields every entry has, shown in the line's own columns rather than as key=value. */
const SHOWN = new Set(['level', 'time', 'msg', 'pid', 'hostname']);

export function createLogger(
  level: LogLevel,
  format: LogFormat,
  out: NodeJS.WritableStream = process.stdout,
) {
  if (format === 'json') {
    stdoutLines ??= new TurnBatch(pino.destination({ dest: 1, sync: true }));
    return pino({ level }, stdoutLines);
  }
  return pino({ level }, { write: (line: string) => out.write(prettyLine(line)) });
}

/** Every JSON logger of the process writes to stdout through this one batch. */
let stdoutLines: TurnBatch | undefined;

/**
 * The lines written during one event-loop turn go out as one synchronous write(2) at the end of the turn
 * (setImmediate). Under load a turn answers dozens of requests (a group commit's); pino's default
 * destination wrote them asynchronously through libuv's thread pool, which cost the loop ~5 µs more of a
 * GET's or a PATCH's 70–85 µs of CPU on this project's machines
 * (docs/decisions/0009-readable-logs-without-pino-pretty.md, amendment). A line still reaches the kernel
 * before the process waits for its next I/O, so a quiet server's lines appear at once. What can be lost
 * is what a SIGKILL or a native crash cuts short: the lines of the turn it stops. A JavaScript crash,
 * process.exit() and the shutdown on SIGTERM/SIGINT all pass through 'exit', which writes what is held
 * (and lines written after it go out at once).
 */
export class TurnBatch {
  private lines: string[] = [];
  private exiting = false;

  constructor(private readonly destination: { write(text: string): unknown }) {
    process.once('exit', () => {
      this.exiting = true;
      this.flush();
    });
  }

  write(line: string): void {
    if (this.exiting) {
      this.destination.write(line);
      return;
    }
    if (this.lines.length === 0) setImmediate(() => this.flush());
    this.lines.push(line);
  }

  flush(): void {
    if (this.lines.length === 0) return;
    const text = this.lines.join('');
    this.lines = [];
    this.destination.write(text);
  }
}

/**
 * One pino JSON line as `17:33:41.123 INFO  listening url=http://… backend=sqlite`, with an error's stack
 * indented below it. Values that are not plain words are JSON-quoted, so each entry stays one line.
 */
export function prettyLine(json: string): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(json);
  } catch {
    return json.endsWith('\n') ? json : `${json}\n`;
  }
  const time = new Date(Number(entry.time)).toISOString().slice(11, 23);
  const level = (LEVELS[Number(entry.level)] ?? String(entry.level)).padEnd(5);
  const fields = Object.entries(entry)
    .filter(([key]) => !SHOWN.has(key) && key !== 'err')
    .map(([key, value]) => `${key}=${formatValue(value)}`);
  const err = entry.err as { type?: string; message?: string; stack?: string } | undefined;
  if (err) fields.push(`err=${formatValue(err.message ?? err.type)}`);
  const stack =
    err?.stack && Number(entry.level) >= 50 ? `\n    ${err.stack.split('\n').join('\n    ')}` : '';
  return `${time} ${level} ${[entry.msg ?? '', ...fields].join(' ')}${stack}\n`;
}

function formatValue(value: unknown): string {
  if (typeof value === 'string' && /^[^\s"=]+$/.test(value)) return value;
  return JSON.stringify(value) ?? String(value);
}
