-- Rollouts (docs/contract.md §8.5, docs/decisions/0013-rollout-scheduler.md): a row per rollout and a row
-- per stage. version_config, created_by and replaced are JSON text, as a group's arrays are.
CREATE TABLE rollouts (
  id             TEXT PRIMARY KEY,
  account_id     TEXT NOT NULL,
  name           TEXT NOT NULL,
  state          TEXT NOT NULL,
  state_reason   TEXT,
  version_config TEXT NOT NULL,
  start_at       TEXT NOT NULL,
  created_by     TEXT NOT NULL,
  created_at     TEXT NOT NULL,
  updated_at     TEXT NOT NULL
);

-- The list (newest first), with or without a state; the active rollouts of an account (409 check).
CREATE INDEX rollouts_account ON rollouts (account_id, created_at, id);
CREATE INDEX rollouts_account_state ON rollouts (account_id, state, created_at, id);

-- A stage's due_at is set once the stage before it applied (the first: at create). The scheduler finds
-- due stages through rollout_stages_due and takes each one's row in the transaction that applies it.
CREATE TABLE rollout_stages (
  rollout_id          TEXT NOT NULL REFERENCES rollouts (id) ON DELETE CASCADE,
  position            INTEGER NOT NULL,
  deployment_group_id TEXT NOT NULL,
  wait                TEXT NOT NULL,
  state               TEXT NOT NULL,
  due_at              TEXT,
  applied_at          TEXT,
  replaced            TEXT,
  PRIMARY KEY (rollout_id, position)
);

CREATE INDEX rollout_stages_due ON rollout_stages (due_at) WHERE state = 'pending' AND due_at IS NOT NULL;
