-- Rollouts (docs/contract.md §8.5): the same tables and columns as migrations/sqlite/005_rollouts.sql (see
-- there for what each holds), so that both backends run the same statements.
CREATE TABLE rollouts (
  id             TEXT COLLATE "C" PRIMARY KEY,
  account_id     TEXT COLLATE "C" NOT NULL,
  name           TEXT NOT NULL,
  state          TEXT COLLATE "C" NOT NULL,
  state_reason   TEXT,
  version_config TEXT NOT NULL,
  start_at       TEXT COLLATE "C" NOT NULL,
  created_by     TEXT NOT NULL,
  created_at     TEXT COLLATE "C" NOT NULL,
  updated_at     TEXT COLLATE "C" NOT NULL
);

CREATE INDEX rollouts_account ON rollouts (account_id, created_at, id);
CREATE INDEX rollouts_account_state ON rollouts (account_id, state, created_at, id);

CREATE TABLE rollout_stages (
  rollout_id          TEXT COLLATE "C" NOT NULL REFERENCES rollouts (id) ON DELETE CASCADE,
  position            INTEGER NOT NULL,
  deployment_group_id TEXT COLLATE "C" NOT NULL,
  wait                TEXT NOT NULL,
  state               TEXT COLLATE "C" NOT NULL,
  due_at              TEXT COLLATE "C",
  applied_at          TEXT COLLATE "C",
  replaced            TEXT,
  PRIMARY KEY (rollout_id, position)
);

CREATE INDEX rollout_stages_due ON rollout_stages (due_at) WHERE state = 'pending' AND due_at IS NOT NULL;
