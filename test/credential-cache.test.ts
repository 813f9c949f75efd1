// The credential cache's bound (src/store/credential-cache.ts): another process's commit is noticed within
// CREDENTIAL_RECHECK_MS, the change marker is read at most once per that bound, without one everything is
// dropped at that bound, and this store's own revocations drop everything at once. Time is a clock the
// test moves.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CREDENTIAL_RECHECK_MS, CredentialCache } from '../src/store/credential-cache.ts';
import type { Credential } from '../src/tokens/model.ts';

const CREDENTIAL: Credential = {
  id: 'a'.repeat(32),
  kind: 'token',
  name: null,
  email: null,
  secret_hash: 'f'.repeat(64),
  permission: 'write',
  accounts: null,
  created_at: '2026-12-07T00:00:00.000000000Z',
  expires_at: null,
  revoked_at: null,
};

function cacheWithClock() {
  const state = { now: 1000, version: 1, reads: 0 };
  const cache = new CredentialCache(
    () => {
      state.reads++;
      return state.version;
    },
    () => state.now,
  );
  return { cache, state };
}

test('another connection’s commit drops the cache within CREDENTIAL_RECHECK_MS, not later', () => {
  const { cache, state } = cacheWithClock();
  assert.equal(cache.get(CREDENTIAL.secret_hash), undefined);
  cache.set(CREDENTIAL.secret_hash, CREDENTIAL);
  state.version++;
  state.now += CREDENTIAL_RECHECK_MS - 1;
  assert.equal(cache.get(CREDENTIAL.secret_hash), CREDENTIAL, 'within the bound the marker is not read');
  state.now += 1;
  assert.equal(cache.get(CREDENTIAL.secret_hash), undefined, 'at the bound the commit is seen');
});

test('reads the change marker at most once per CREDENTIAL_RECHECK_MS, and keeps the cache while it stays', () => {
  const { cache, state } = cacheWithClock();
  cache.get(CREDENTIAL.secret_hash);
  cache.set(CREDENTIAL.secret_hash, CREDENTIAL);
  for (let i = 0; i < 50; i++) assert.equal(cache.get(CREDENTIAL.secret_hash), CREDENTIAL);
  assert.equal(state.reads, 1);
  state.now += CREDENTIAL_RECHECK_MS;
  assert.equal(cache.get(CREDENTIAL.secret_hash), CREDENTIAL);
  assert.equal(state.reads, 2);
});

test('clear() drops everything at once (the store’s own revocations and imports)', () => {
  const { cache } = cacheWithClock();
  cache.get(CREDENTIAL.secret_hash);
  cache.set(CREDENTIAL.secret_hash, CREDENTIAL);
  cache.clear();
  assert.equal(cache.get(CREDENTIAL.secret_hash), undefined);
});

test('without a change marker (PostgreSQL), everything is dropped every CREDENTIAL_RECHECK_MS', () => {
  let now = 0;
  const cache = new CredentialCache(null, () => now);
  cache.get(CREDENTIAL.secret_hash);
  cache.set(CREDENTIAL.secret_hash, CREDENTIAL);
  now += CREDENTIAL_RECHECK_MS - 1;
  assert.equal(cache.get(CREDENTIAL.secret_hash), CREDENTIAL);
  now += 1;
  assert.equal(cache.get(CREDENTIAL.secret_hash), undefined);
});
