-- Deployment groups, stored in their wire shape. version_config and policy_ids are JSON arrays in the
-- client's order; policy_ids is NULL when never set (docs/contract.md §2).
CREATE TABLE deployment_groups (
  id             TEXT PRIMARY KEY,
  account_id     TEXT NOT NULL,
  name           TEXT NOT NULL,
  version_config TEXT NOT NULL,
  policy_ids     TEXT,
  created_at     TEXT NOT NULL,
  updated_at     TEXT NOT NULL
);

-- List order (docs/contract.md §5): created_at, then id, within one account.
CREATE INDEX deployment_groups_list ON deployment_groups (account_id, created_at, id);

-- Policy ownership: a policy ID belongs to at most one group per account, enforced by this key.
CREATE TABLE policy_owners (
  account_id TEXT NOT NULL,
  policy_id  TEXT NOT NULL,
  group_id   TEXT NOT NULL REFERENCES deployment_groups (id) ON DELETE CASCADE,
  PRIMARY KEY (account_id, policy_id)
) WITHOUT ROWID;

CREATE INDEX policy_owners_group ON policy_owners (group_id);

-- API tokens and legacy API keys; only the SHA-256 of a secret is stored.
CREATE TABLE credentials (
  id          TEXT PRIMARY KEY,
  kind        TEXT NOT NULL CHECK (kind IN ('token', 'key')),
  name        TEXT,
  email       TEXT,
  secret_hash TEXT NOT NULL UNIQUE,
  permission  TEXT NOT NULL CHECK (permission IN ('read', 'write')),
  accounts    TEXT, -- JSON array of account IDs; NULL grants every account
  created_at  TEXT NOT NULL,
  expires_at  TEXT,
  revoked_at  TEXT
);
