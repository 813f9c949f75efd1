-- Version targets (docs/contract.md §8.4): a credential permission that reads only them.
-- SQLite cannot change a CHECK constraint in place, so the table is rebuilt (nothing references it).
-- Other processes' writes are seen through PRAGMA data_version (src/store/sqlite/store.ts), which needs
-- nothing in the schema; PostgreSQL's 006 adds the notification trigger it needs instead.
CREATE TABLE credentials_006 (
  id          TEXT PRIMARY KEY,
  kind        TEXT NOT NULL CHECK (kind IN ('token', 'key')),
  name        TEXT,
  email       TEXT,
  secret_hash TEXT NOT NULL UNIQUE,
  permission  TEXT NOT NULL CHECK (permission IN ('read', 'write', 'targets')),
  accounts    TEXT, -- JSON array of account IDs; NULL grants every account
  created_at  TEXT NOT NULL,
  expires_at  TEXT,
  revoked_at  TEXT
);
INSERT INTO credentials_006 SELECT id, kind, name, email, secret_hash, permission, accounts, created_at,
  expires_at, revoked_at FROM credentials;
DROP TABLE credentials;
ALTER TABLE credentials_006 RENAME TO credentials;
