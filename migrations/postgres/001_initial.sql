-- The same tables and columns as migrations/sqlite/001_initial.sql, so that `ringmaster db export` /
-- `db import` move an installation either way without loss.
--
-- Every value is TEXT, exactly as the SQLite backend stores it: version_config and policy_ids are JSON
-- text in the client's order (jsonb would reorder keys and drop the byte-for-byte round trip), and
-- timestamps are fixed-width RFC 3339 strings with 9 fractional digits, which sort in time order.
-- COLLATE "C" compares bytes, as SQLite does, so that list order (created_at, then id) and the export
-- order are the same in both backends whatever the database's default collation.
CREATE TABLE deployment_groups (
  id             TEXT COLLATE "C" PRIMARY KEY,
  account_id     TEXT COLLATE "C" NOT NULL,
  name           TEXT NOT NULL,
  version_config TEXT NOT NULL,
  policy_ids     TEXT,
  created_at     TEXT COLLATE "C" NOT NULL,
  updated_at     TEXT COLLATE "C" NOT NULL
);

-- List order (docs/contract.md §5): created_at, then id, within one account.
CREATE INDEX deployment_groups_list ON deployment_groups (account_id, created_at, id);

-- Policy ownership: a policy ID belongs to at most one group per account, enforced by this key across
-- every replica (INSERT … ON CONFLICT DO NOTHING; never check-then-write).
CREATE TABLE policy_owners (
  account_id TEXT COLLATE "C" NOT NULL,
  policy_id  TEXT COLLATE "C" NOT NULL,
  group_id   TEXT COLLATE "C" NOT NULL REFERENCES deployment_groups (id) ON DELETE CASCADE,
  PRIMARY KEY (account_id, policy_id)
);

CREATE INDEX policy_owners_group ON policy_owners (group_id);

-- API tokens and legacy API keys; only the SHA-256 of a secret is stored.
CREATE TABLE credentials (
  id          TEXT COLLATE "C" PRIMARY KEY,
  kind        TEXT NOT NULL CHECK (kind IN ('token', 'key')),
  name        TEXT,
  email       TEXT,
  secret_hash TEXT COLLATE "C" NOT NULL UNIQUE,
  permission  TEXT NOT NULL CHECK (permission IN ('read', 'write')),
  accounts    TEXT, -- JSON array of account IDs; NULL grants every account
  created_at  TEXT COLLATE "C" NOT NULL,
  expires_at  TEXT COLLATE "C",
  revoked_at  TEXT COLLATE "C"
);
