// What every answer must be, whatever was asked (docs/contract.md §3–§5, docs/security.md): never a 5xx,
// JSON with a `cf-ray`, failures in the envelope with well-formed error objects, at most 100 of them in a
// bounded answer, no secret of the request echoed back — and one of the answers the oracle allows.
import { CF_RAY } from '../envelope.ts';
import { MAX_ERRORS, MORE_VIOLATIONS, type Outcome } from './oracle.ts';

export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** What the case expects beyond a status and code. */
export interface Expectations {
  /** Strings the answer must not contain, raw or percent-decoded (docs/security.md: never echoed). */
  secrets?: string[];
  /** The request breaks more than 100 rules one by one: exactly 100 error objects, the last a count (§4). */
  capped?: boolean;
  /**
   * An array or object over its size limit is one violation, its items not checked one by one (§4): no error
   * may point into these JSON Pointer prefixes (e.g. `/version_config/` for an oversized version_config).
   */
  unlisted?: string[];
}

/**
 * A failure answer is at most this long. §4 bounds it without a number; 100 error objects of a few hundred
 * bytes each, or a 404 echoing a 16 KiB request line, fit many times over.
 */
export const FAILURE_BYTES_BOUND = 64 * 1024;

interface ErrorObject {
  code: unknown;
  message: unknown;
  source?: { pointer?: string; parameter?: string; header?: string };
}

/** A broken rule: what was wrong, and the rule — an invariant below, or the case's own (`undefined`). */
export interface Violation {
  problem: string;
  rule?: string;
}

const broke = (rule: string | undefined, problem: string | undefined): Violation | undefined =>
  problem === undefined ? undefined : { problem, rule };

/** The first violation of the answer, if any. */
export function checkAnswer(
  answer: Answer,
  allowed: Outcome[],
  head: boolean,
  expectations: Expectations = {},
): Violation | undefined {
  if (answer.status === 304) return notModifiedProblem(answer, allowed);
  const transport = transportProblem(answer);
  if (transport) return transport;
  let code: number | undefined;
  if (!head) {
    let body: any;
    try {
      body = JSON.parse(answer.body);
    } catch {
      return { problem: `body is not JSON: ${answer.body.slice(0, 100)}`, rule: '§3 every answer is JSON' };
    }
    const problem =
      answer.status >= 400 ? failureProblem(answer, body, expectations) : successProblem(answer, body);
    if (problem) return problem;
    code = body.errors?.[0]?.code;
  }
  return (
    broke('docs/security.md: secrets are never echoed', secretProblem(answer, expectations.secrets ?? [])) ??
    broke(undefined, outcomeProblem(answer, code, allowed, head))
  );
}

/** §8.1, §8.4: a 304 carries its `ETag` (and a `cf-ray`) and no body. */
function notModifiedProblem(answer: Answer, allowed: Outcome[]): Violation | undefined {
  if (!CF_RAY.test(String(answer.headers['cf-ray'])))
    return broke('§3 every answer has a cf-ray', 'no cf-ray (304)');
  if (answer.body !== '' || answer.headers.etag === undefined)
    return broke('§8.1 a 304 carries the ETag and no body', `304 with body ${answer.body.slice(0, 100)}`);
  return broke(undefined, outcomeProblem(answer, undefined, allowed, true));
}

function transportProblem(answer: Answer): Violation | undefined {
  if (answer.status >= 500) return broke('never a 5xx', `5xx: ${answer.status} ${answer.body.slice(0, 200)}`);
  if (!CF_RAY.test(String(answer.headers['cf-ray']))) {
    return broke('§3 every answer has a cf-ray', `no cf-ray (${answer.status})`);
  }
  if (!/^application\/json/.test(String(answer.headers['content-type']))) {
    return broke('§3 every answer is JSON', `content-type ${answer.headers['content-type']}`);
  }
  return undefined;
}

function successProblem(answer: Answer, body: any): Violation | undefined {
  const wrong = answer.status === 200 && body.success === false;
  return wrong ? broke('§3 success envelope', 'a 200 with success: false') : undefined;
}

/** §3 envelope, §4 error cap and bound, §5 x-should-retry. */
function failureProblem(answer: Answer, body: any, expectations: Expectations): Violation | undefined {
  const envelope = body.success === false && body.result === null && Array.isArray(body.messages);
  if (!envelope || body.messages.length > 0) {
    return broke('§3 failure envelope', `not the failure envelope: ${answer.body.slice(0, 200)}`);
  }
  if (!Array.isArray(body.errors) || body.errors.length === 0) {
    return broke('§3 failure envelope', 'no errors in the envelope');
  }
  const bytes = Buffer.byteLength(answer.body);
  if (bytes > FAILURE_BYTES_BOUND) {
    return broke('§4 a bounded answer', `a ${bytes}-byte failure answer (${body.errors.length} errors)`);
  }
  const problem = errorsProblem(body.errors, expectations);
  if (problem) return problem;
  const retry = answer.headers['x-should-retry'];
  const retryable = answer.status === 408 || answer.status === 429;
  if (retryable ? retry !== undefined : retry !== 'false') {
    return broke(
      '§5 x-should-retry: false on a 4xx but 408 and 429',
      `x-should-retry ${retry} on ${answer.status}`,
    );
  }
  return undefined;
}

function errorsProblem(errors: ErrorObject[], expectations: Expectations): Violation | undefined {
  const cap = '§4 at most 100 error objects, the last a count of the rest';
  if (errors.length > MAX_ERRORS) return broke(cap, `${errors.length} error objects`);
  for (const [index, error] of errors.entries()) {
    const problem = errorObjectProblem(error, index, errors.length);
    if (problem) return problem;
  }
  const last = errors[errors.length - 1] as ErrorObject;
  if (expectations.capped && (errors.length !== MAX_ERRORS || !isCount(last, MAX_ERRORS - 1, MAX_ERRORS))) {
    const problem = `over ${MAX_ERRORS} violations, but ${errors.length} error objects ending ${JSON.stringify(last)}`;
    return broke(cap, problem);
  }
  for (const prefix of expectations.unlisted ?? []) {
    const item = errors.find((e) => e.source?.pointer?.startsWith(prefix));
    const problem =
      item && `the items under ${prefix} of an oversized value were checked: ${JSON.stringify(item)}`;
    if (problem) return broke('§4 an oversized array or object is one violation', problem);
  }
  return undefined;
}

/** The 100th error object when there were more violations: a count, without a source (§4). */
function isCount(error: ErrorObject, index: number, total: number): boolean {
  return (
    index === MAX_ERRORS - 1 &&
    total === MAX_ERRORS &&
    error.code === 2001 &&
    error.source === undefined &&
    typeof error.message === 'string' &&
    MORE_VIOLATIONS.test(error.message)
  );
}

function errorObjectProblem(error: ErrorObject, index: number, total: number): Violation | undefined {
  if (!Number.isInteger(error.code) || typeof error.message !== 'string') {
    return broke('§3 error objects have a code and a message', `bad error object ${JSON.stringify(error)}`);
  }
  // §7: a pointer into the body, a query parameter, or a header (If-Match, Idempotency-Key: §8.1).
  const { pointer, parameter, header } = error.source ?? {};
  const sourceless = pointer === undefined && parameter === undefined && header === undefined;
  if (error.code === 2001 && sourceless && !isCount(error, index, total)) {
    return broke('§7 every 2001 has a source', `2001 without source: ${JSON.stringify(error)}`);
  }
  const item = error.code === 2001 ? /^\/(policy_ids|version_config)\/(\d+)$/.exec(pointer ?? '') : null;
  if (item && !error.message.includes(`${item[1]}[${item[2]}]`)) {
    const problem = `the message does not name ${item[1]}[${item[2]}]: ${JSON.stringify(error)}`;
    return broke("§4 an array item's message names its field and index", problem);
  }
  return undefined;
}

function decoded(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text.replace(/%[0-9A-Fa-f]{2}/g, (sequence) =>
      String.fromCharCode(Number.parseInt(sequence.slice(1), 16)),
    );
  }
}

function secretProblem(answer: Answer, secrets: string[]): string | undefined {
  const text = `${JSON.stringify(answer.headers)}\n${answer.body}`;
  const echoed = secrets.find((secret) => text.includes(secret) || decoded(text).includes(secret));
  return echoed === undefined ? undefined : `echoed a secret: ${answer.body.slice(0, 300)}`;
}

function outcomeProblem(answer: Answer, code: number | undefined, allowed: Outcome[], head: boolean) {
  const ok = allowed.some(
    (o) => o.status === answer.status && (o.code === undefined || head || o.code === code),
  );
  if (ok) return undefined;
  const expected = allowed.map((o) => `${o.status}${o.code ? ` ${o.code}` : ''}`).join(' or ');
  return `got ${answer.status}${code === undefined ? '' : ` ${code}`}, expected ${expected}: ${answer.body.slice(0, 300)}`;
}
