-- Mirrors migrations/sqlite/008_group_audit_heads.sql (see there): a live group's history head in its own
-- row, every other head in audit_other_heads, and `audit_heads` a view of both. Here the view matters for
-- a rolling upgrade: replicas of the previous version go on reading heads from audit_heads, subtracting
-- pruned entries from it, emptying and filling it on an import, and locking it (LOCK TABLE on a view locks
-- what it reads) until they are replaced (docs/deployment.md, "Rolling restarts and upgrades").
ALTER TABLE deployment_groups ADD COLUMN audit_seq BIGINT, ADD COLUMN audit_entries INTEGER NOT NULL DEFAULT 0;
ALTER TABLE audit_heads RENAME TO audit_other_heads;
ALTER TABLE audit_other_heads RENAME CONSTRAINT audit_heads_pkey TO audit_other_heads_pkey;

UPDATE deployment_groups SET audit_seq = head.seq, audit_entries = head.entries FROM audit_other_heads AS head
  WHERE head.account_id = deployment_groups.account_id AND head.resource_type = 'deployment_group'
    AND head.resource_id = deployment_groups.id;
DELETE FROM audit_other_heads WHERE resource_type = 'deployment_group' AND EXISTS (SELECT 1 FROM deployment_groups AS g
  WHERE g.id = audit_other_heads.resource_id AND g.account_id = audit_other_heads.account_id);

-- The constant is cast to text: left a literal, its column is not the union's type and PostgreSQL does not
-- push a condition on resource_type into the branches (audit_other_heads' key would then be searched
-- without its middle column: every head of the account).
CREATE VIEW audit_heads (account_id, resource_type, resource_id, seq, entries) AS
  SELECT account_id, CAST('deployment_group' AS TEXT) COLLATE "C", id, audit_seq, audit_entries FROM deployment_groups
    WHERE audit_seq IS NOT NULL
  UNION ALL
  SELECT account_id, resource_type, resource_id, seq, entries FROM audit_other_heads;

-- An entry joins its resource's chain (see the SQLite migration). A live group's head is its row, which
-- every change of the group has locked already (its UPDATE, its INSERT, or the lock before its DELETE);
-- the head moves only if it is still the one read, so an entry written without that lock (a replica of
-- another version, a test) reads it again rather than lose a link. Other heads keep 007's discipline:
-- locked before they are read, and a resource's first entry inserts its head, one that loses that race
-- waiting for the winner's commit (ON CONFLICT), then locking the winner's head.
CREATE OR REPLACE FUNCTION audit_chain() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  head TEXT := coalesce(NEW.account_id, '');
  head_seq BIGINT;
BEGIN
  IF NEW.resource_type = 'deployment_group' THEN
    LOOP
      SELECT audit_seq INTO head_seq FROM deployment_groups WHERE id = NEW.resource_id AND account_id = head;
      EXIT WHEN NOT FOUND;
      UPDATE deployment_groups SET audit_seq = NEW.seq, audit_entries = audit_entries + 1
        WHERE id = NEW.resource_id AND account_id = head AND audit_seq IS NOT DISTINCT FROM head_seq;
      IF FOUND THEN
        NEW.previous_seq := head_seq;
        RETURN NEW;
      END IF;
    END LOOP;
  END IF;
  LOOP
    SELECT seq INTO NEW.previous_seq FROM audit_other_heads
      WHERE account_id = head AND resource_type = NEW.resource_type AND resource_id = NEW.resource_id FOR UPDATE;
    IF FOUND THEN
      UPDATE audit_other_heads SET seq = NEW.seq, entries = entries + 1
        WHERE account_id = head AND resource_type = NEW.resource_type AND resource_id = NEW.resource_id;
      RETURN NEW;
    END IF;
    INSERT INTO audit_other_heads (account_id, resource_type, resource_id, seq, entries)
      VALUES (head, NEW.resource_type, NEW.resource_id, NEW.seq, 1) ON CONFLICT DO NOTHING;
    IF FOUND THEN
      RETURN NEW;
    END IF;
  END LOOP;
END
$$;

-- A deleted group's head goes to the table; a group inserted with the id of a deleted one (a restore, a
-- revert, an import) takes it back into its row before the row is written, so no second row version.
CREATE FUNCTION deployment_groups_audit_head_out() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO audit_other_heads (account_id, resource_type, resource_id, seq, entries)
    VALUES (OLD.account_id, 'deployment_group', OLD.id, OLD.audit_seq, OLD.audit_entries)
    ON CONFLICT (account_id, resource_type, resource_id) DO UPDATE SET seq = excluded.seq, entries = excluded.entries;
  RETURN NULL;
END
$$;
CREATE TRIGGER deployment_groups_audit_head_out AFTER DELETE ON deployment_groups
  FOR EACH ROW WHEN (OLD.audit_seq IS NOT NULL) EXECUTE FUNCTION deployment_groups_audit_head_out();

CREATE FUNCTION deployment_groups_audit_head_in() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  head_seq BIGINT;
  head_entries INTEGER;
BEGIN
  DELETE FROM audit_other_heads AS h WHERE h.account_id = NEW.account_id AND h.resource_type = 'deployment_group'
    AND h.resource_id = NEW.id RETURNING h.seq, h.entries INTO head_seq, head_entries;
  IF FOUND THEN
    NEW.audit_seq := head_seq;
    NEW.audit_entries := head_entries;
  END IF;
  RETURN NEW;
END
$$;
CREATE TRIGGER deployment_groups_audit_head_in BEFORE INSERT ON deployment_groups
  FOR EACH ROW EXECUTE FUNCTION deployment_groups_audit_head_in();

-- Moving a head or uncounting pruned entries updates a group's row without changing the group: migration
-- 006's notification would make every replica refresh the account's version targets after each retention
-- batch, for nothing, and cost every PATCH a second statement trigger. A refresh reads groups' versions
-- (revision, updated_at): only an update that changes one is announced, by a row trigger whose WHEN skips
-- the others without calling it. (Its notifications of one account in one transaction are delivered as
-- one: PostgreSQL folds identical ones.)
CREATE FUNCTION ringmaster_notify_group_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('ringmaster_groups', NEW.account_id);
  RETURN NULL;
END
$$;
DROP TRIGGER deployment_groups_notify_update ON deployment_groups;
CREATE TRIGGER deployment_groups_notify_update AFTER UPDATE ON deployment_groups FOR EACH ROW
  WHEN (OLD.revision IS DISTINCT FROM NEW.revision OR OLD.updated_at IS DISTINCT FROM NEW.updated_at)
  EXECUTE FUNCTION ringmaster_notify_group_update();

-- Writes through the view, as the previous version makes them (see the SQLite migration). An update applies
-- its change of `entries` to the head as it is now: the view's row may be older than a change another
-- transaction committed while this one waited.
CREATE FUNCTION audit_heads_write() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    IF NEW.resource_type = 'deployment_group' THEN
      UPDATE deployment_groups SET audit_seq = NEW.seq, audit_entries = NEW.entries
        WHERE id = NEW.resource_id AND account_id = NEW.account_id;
      IF FOUND THEN
        RETURN NEW;
      END IF;
    END IF;
    INSERT INTO audit_other_heads (account_id, resource_type, resource_id, seq, entries)
      VALUES (NEW.account_id, NEW.resource_type, NEW.resource_id, NEW.seq, NEW.entries);
    RETURN NEW;
  ELSIF TG_OP = 'UPDATE' THEN
    IF OLD.resource_type = 'deployment_group' THEN
      UPDATE deployment_groups
        SET audit_seq = CASE WHEN NEW.seq IS NOT DISTINCT FROM OLD.seq THEN audit_seq ELSE NEW.seq END,
          audit_entries = audit_entries + NEW.entries - OLD.entries
        WHERE id = OLD.resource_id AND account_id = OLD.account_id AND audit_seq IS NOT NULL;
      IF FOUND THEN
        RETURN NEW;
      END IF;
    END IF;
    UPDATE audit_other_heads
      SET seq = CASE WHEN NEW.seq IS NOT DISTINCT FROM OLD.seq THEN seq ELSE NEW.seq END,
        entries = entries + NEW.entries - OLD.entries
      WHERE account_id = OLD.account_id AND resource_type = OLD.resource_type AND resource_id = OLD.resource_id;
    RETURN CASE WHEN FOUND THEN NEW END;
  END IF;
  IF OLD.resource_type = 'deployment_group' THEN
    UPDATE deployment_groups SET audit_seq = NULL, audit_entries = 0
      WHERE id = OLD.resource_id AND account_id = OLD.account_id AND audit_seq IS NOT NULL;
  END IF;
  DELETE FROM audit_other_heads
    WHERE account_id = OLD.account_id AND resource_type = OLD.resource_type AND resource_id = OLD.resource_id;
  RETURN OLD;
END
$$;
CREATE TRIGGER audit_heads_write INSTEAD OF INSERT OR UPDATE OR DELETE ON audit_heads
  FOR EACH ROW EXECUTE FUNCTION audit_heads_write();
