-- Version targets (docs/contract.md §8.4): a credential permission that reads only them, and a
-- notification on every change of an account's groups, so that every replica refreshes the targets it
-- serves from memory (src/version-targets/cache.ts).

-- `targets`: Version Targets Read (docs/contract.md §6).
ALTER TABLE credentials DROP CONSTRAINT credentials_permission_check;
ALTER TABLE credentials ADD CONSTRAINT credentials_permission_check
  CHECK (permission IN ('read', 'write', 'targets'));

-- NOTIFY ringmaster_groups '<account_id>' once per statement and account that changed groups, from
-- inside the writing transaction: PostgreSQL delivers it on COMMIT and drops it on ROLLBACK, and any
-- writer (a replica, the CLI, an import) sends it. Statement-level with transition tables, so that an
-- import of many groups sends one notification per account, not one per row.
CREATE FUNCTION ringmaster_notify_groups() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('ringmaster_groups', account_id) FROM (SELECT DISTINCT account_id FROM changed) AS a;
  RETURN NULL;
END
$$;

CREATE TRIGGER deployment_groups_notify_insert AFTER INSERT ON deployment_groups
  REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION ringmaster_notify_groups();
CREATE TRIGGER deployment_groups_notify_update AFTER UPDATE ON deployment_groups
  REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION ringmaster_notify_groups();
CREATE TRIGGER deployment_groups_notify_delete AFTER DELETE ON deployment_groups
  REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION ringmaster_notify_groups();
