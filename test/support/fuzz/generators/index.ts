// Every kind of generated request and how often it is drawn (relative weights). The kinds that send bodies
// up to the body limit are rare: they cost the most time per request.
import type { Generator } from '../case.ts';
import { amplification } from './amplification.ts';
import { auditV1, auditV2, history, preview, revert } from './change-control.ts';
import { auth, bodiless, charset, duplicateCredentials, expect, oddHeaders } from './headers.ts';
import { hugeNumbers, jsonDeep, jsonMalformed, wrongTypes } from './json.ts';
import { rolloutAction, rolloutCreate, rolloutGet, rolloutList } from './rollouts.ts';
import { targetsDocument, targetsGet, targetsResolve } from './targets.ts';
import { invalidUtf8, names, unicode } from './text.ts';
import { longPaths, pagingDigits, queryStrings, secretsInUrls, wrongMethods } from './urls.ts';
import { valid } from './valid.ts';
import { bodySize, pipelined, randomBytes } from './wire.ts';

export const KINDS: Record<string, { weight: number; generate: Generator }> = {
  valid: { weight: 8, generate: valid },
  'json-malformed': { weight: 14, generate: jsonMalformed },
  'json-deep': { weight: 0.4, generate: jsonDeep },
  'huge-numbers': { weight: 7, generate: hugeNumbers },
  'wrong-types': { weight: 10, generate: wrongTypes },
  unicode: { weight: 12, generate: unicode },
  'odd-headers': { weight: 10, generate: oddHeaders },
  auth: { weight: 10, generate: auth },
  'long-paths': { weight: 7, generate: longPaths },
  'query-strings': { weight: 6, generate: queryStrings },
  'wrong-methods': { weight: 7, generate: wrongMethods },
  'random-bytes': { weight: 4, generate: randomBytes },
  pipelined: { weight: 2, generate: pipelined },
  'body-size': { weight: 0.15, generate: bodySize },
  // The hostile shapes of docs/contract.md §4, §6 and §7 as they stand since the hardening review.
  amplification: { weight: 0.4, generate: amplification },
  names: { weight: 4, generate: names },
  'invalid-utf8': { weight: 3, generate: invalidUtf8 },
  'paging-digits': { weight: 3, generate: pagingDigits },
  charset: { weight: 2, generate: charset },
  bodiless: { weight: 3, generate: bodiless },
  'duplicate-credentials': { weight: 2, generate: duplicateCredentials },
  expect: { weight: 2, generate: expect },
  'secrets-in-urls': { weight: 3, generate: secretsInUrls },
  // Change control and the audit logs (docs/contract.md §8.1–§8.3).
  history: { weight: 3, generate: history },
  revert: { weight: 3, generate: revert },
  preview: { weight: 5, generate: preview },
  'audit-v1': { weight: 3, generate: auditV1 },
  'audit-v2': { weight: 4, generate: auditV2 },
  // Rollouts (§8.5) and version targets (§8.4).
  'rollout-create': { weight: 4, generate: rolloutCreate },
  'rollout-action': { weight: 4, generate: rolloutAction },
  'rollout-get': { weight: 1.5, generate: rolloutGet },
  'rollout-list': { weight: 1.5, generate: rolloutList },
  'targets-get': { weight: 4, generate: targetsGet },
  'targets-document': { weight: 1, generate: (c) => targetsDocument(c) },
  'targets-resolve': { weight: 2, generate: targetsResolve },
};
