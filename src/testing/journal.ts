// The request journal of test mode (docs/contract.md §8.6): what the code under test sent and what it got,
// oldest first, bounded in memory, with secrets masked. Only API requests are kept — /client/v4 and
// /ringmaster/v1 — and never the test-mode control routes themselves.
import { parse as parseQuery } from 'node:querystring';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { now } from '../clock.ts';
import { API_PREFIX, EXTENSIONS_PREFIX } from '../http/envelope.ts';
import { redactSecrets } from '../tokens/secrets.ts';
import type { JournalEntry } from './model.ts';

/** Entries kept; the oldest go first. A test that needs more should clear between its phases. */
export const JOURNAL_LIMIT = 1000;
/** Bodies larger than this (as JSON) are recorded as null, so the journal's memory stays bounded. */
export const JOURNAL_BODY_BYTES = 16 * 1024;

export const TESTING_PREFIX = `${EXTENSIONS_PREFIX}/testing`;

/** Whether a request is one the journal keeps and fault rules may hit: an API request, not a control one. */
export function isApiRequest(url: string): boolean {
  const path = url.split('?', 1)[0] as string;
  if (path === TESTING_PREFIX || path.startsWith(`${TESTING_PREFIX}/`)) return false;
  return path.startsWith(`${API_PREFIX}/`) || path.startsWith(`${EXTENSIONS_PREFIX}/`) || path === API_PREFIX;
}

export class RequestJournal {
  private entries: JournalEntry[] = [];

  list(): JournalEntry[] {
    return [...this.entries];
  }

  clear(): void {
    this.entries = [];
  }

  /** Records `request` as answered with `status` (null: no answer) and the codes of its error body. */
  record(request: FastifyRequest, status: number | null, errorCodes: number[], fault: string | null): void {
    const [path = '', query = ''] = redactSecrets(request.url).split(/\?(.*)/s);
    this.entries.push({
      method: request.method,
      path,
      query: { ...parseQuery(query) } as JournalEntry['query'],
      status,
      error_codes: errorCodes,
      body: maskedBody(request.body),
      ray_id: request.id,
      time: now(),
      fault,
    });
    if (this.entries.length > JOURNAL_LIMIT) this.entries.splice(0, this.entries.length - JOURNAL_LIMIT);
  }
}

/** The body as the journal keeps it: secrets masked, null when absent or too large. */
function maskedBody(body: unknown): unknown {
  if (body === undefined || body === null) return null;
  const text = JSON.stringify(body);
  if (text === undefined || Buffer.byteLength(text) > JOURNAL_BODY_BYTES) return null;
  // The masks contain no quote or backslash, so the masked text is still the same JSON document.
  return JSON.parse(redactSecrets(text));
}

/** The error codes of an envelope a reply is about to send (none for a success or a non-JSON body). */
export function errorCodesOf(reply: FastifyReply, payload: unknown): number[] {
  if (reply.statusCode < 400 || typeof payload !== 'string') return [];
  try {
    const errors = (JSON.parse(payload) as { errors?: { code?: unknown }[] }).errors;
    return Array.isArray(errors) ? errors.map((e) => e.code).filter((c) => typeof c === 'number') : [];
  } catch {
    return [];
  }
}
