-- Change control (docs/contract.md §8): a revision per group, the audit log, and idempotency keys.

-- Starts at 1 for every group (also those created before this migration) and grows by one per change, in
-- the same UPDATE as the change, so that a GET reads it with the group (the ETag) at no extra cost.
ALTER TABLE deployment_groups ADD COLUMN revision INTEGER NOT NULL DEFAULT 1;

-- One row per successful change, written in the same transaction as the change
-- (docs/decisions/0011-change-control.md). `seq` is the order and the cursor; `id` is the public id.
-- account_id is NULL for a change that concerns every account (a credential granting all accounts).
-- before/after are the resource as JSON text (never a secret), NULL where it did not / no longer exists.
CREATE TABLE audit_log (
  seq           INTEGER PRIMARY KEY AUTOINCREMENT,
  id            TEXT NOT NULL UNIQUE,
  account_id    TEXT,
  at            TEXT NOT NULL,
  action        TEXT NOT NULL,
  resource_type TEXT NOT NULL,
  resource_id   TEXT NOT NULL,
  revision      INTEGER,
  actor_type    TEXT NOT NULL,
  actor_id      TEXT,
  actor_name    TEXT,
  actor_email   TEXT,
  actor_ip      TEXT,
  interface     TEXT NOT NULL,
  ray_id        TEXT,
  method        TEXT,
  uri           TEXT,
  status        INTEGER,
  user_agent    TEXT,
  before        TEXT,
  after         TEXT
);

-- An account's log, in order; a resource's history, in order.
CREATE INDEX audit_log_account ON audit_log (account_id, seq);
CREATE INDEX audit_log_resource ON audit_log (account_id, resource_type, resource_id, seq);

-- Idempotency-Key on create (docs/contract.md §8.1), scoped to account and credential. Written in the same
-- transaction as the group it created; `response` is the answer's result, replayed with `status`.
CREATE TABLE idempotency_keys (
  account_id    TEXT NOT NULL,
  credential_id TEXT NOT NULL,
  key           TEXT NOT NULL,
  request_hash  TEXT NOT NULL,
  status        INTEGER NOT NULL,
  response      TEXT NOT NULL,
  created_at    TEXT NOT NULL,
  PRIMARY KEY (account_id, credential_id, key)
) WITHOUT ROWID;

-- Pruning expired keys (24 h) walks this index.
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);
