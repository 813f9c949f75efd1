-- Per-account group counts, kept by triggers in the same transaction as every insert and delete, so that
-- a list's total_count is one lookup instead of counting the account's index entries (7 ms at 100,000
-- groups; docs/performance.md).
CREATE TABLE account_group_counts (
  account_id  TEXT PRIMARY KEY,
  group_count INTEGER NOT NULL
) WITHOUT ROWID;

INSERT INTO account_group_counts (account_id, group_count)
  SELECT account_id, count(*) FROM deployment_groups GROUP BY account_id;

CREATE TRIGGER deployment_groups_counted AFTER INSERT ON deployment_groups BEGIN
  INSERT INTO account_group_counts (account_id, group_count) VALUES (NEW.account_id, 1)
    ON CONFLICT (account_id) DO UPDATE SET group_count = group_count + 1;
END;

CREATE TRIGGER deployment_groups_uncounted AFTER DELETE ON deployment_groups BEGIN
  UPDATE account_group_counts SET group_count = group_count - 1 WHERE account_id = OLD.account_id;
END;
