-- A live group's history head in its own row (docs/decisions/0011-change-control.md, "The history chain"):
-- deployment_groups.audit_seq is the seq of the group's newest audit entry and audit_entries how many its
-- history holds. A change of a group writes its row and its entry in one transaction, so moving the head
-- rewrites a page the change already dirtied; in audit_heads, a history of 100,000 groups put each changed
-- group's head on a page of its own, written to the WAL and again at checkpoint (+5–6 KB per durable PATCH;
-- docs/performance.md, "The 1,000,000-entry history"). Every other head (a deleted group's, a credential's,
-- an entry's for every account under '') stays in a table, audit_other_heads; `audit_heads` becomes a view
-- of both, so reads and statements of the previous version still work (docs/deployment.md, "Rolling
-- restarts and upgrades"). Kept by the triggers below, in the writing transaction, whoever writes.
DROP TRIGGER audit_chain;

ALTER TABLE deployment_groups ADD COLUMN audit_seq INTEGER;
ALTER TABLE deployment_groups ADD COLUMN audit_entries INTEGER NOT NULL DEFAULT 0;
ALTER TABLE audit_heads RENAME TO audit_other_heads;

-- Live groups' heads into their rows, out of the table (the same statements as the end of src/store/sql.ts
-- REBUILD_AUDIT_CHAIN, which an import runs).
UPDATE deployment_groups SET audit_seq = head.seq, audit_entries = head.entries FROM audit_other_heads AS head
  WHERE head.account_id = deployment_groups.account_id AND head.resource_type = 'deployment_group'
    AND head.resource_id = deployment_groups.id;
DELETE FROM audit_other_heads WHERE resource_type = 'deployment_group' AND EXISTS (SELECT 1 FROM deployment_groups AS g
  WHERE g.id = audit_other_heads.resource_id AND g.account_id = audit_other_heads.account_id);

-- Every head, as 007's table had them: a group's head is in its row while the group lives, in the table
-- once it is deleted, never in both. A lookup by key is an index lookup on each side.
CREATE VIEW audit_heads (account_id, resource_type, resource_id, seq, entries) AS
  SELECT account_id, 'deployment_group', id, audit_seq, audit_entries FROM deployment_groups WHERE audit_seq IS NOT NULL
  UNION ALL
  SELECT account_id, resource_type, resource_id, seq, entries FROM audit_other_heads;

-- An entry joins its resource's chain: its previous entry is the head, in the group's row or the table,
-- and the head moves to it. The row was just written, so setting previous_seq rewrites a page the insert
-- already dirtied, as does the group's head (its change wrote the row).
CREATE TRIGGER audit_chain AFTER INSERT ON audit_log BEGIN
  UPDATE audit_log SET previous_seq = coalesce(
      (SELECT audit_seq FROM deployment_groups WHERE NEW.resource_type = 'deployment_group'
        AND id = NEW.resource_id AND account_id = NEW.account_id),
      (SELECT seq FROM audit_other_heads WHERE account_id = coalesce(NEW.account_id, '')
        AND resource_type = NEW.resource_type AND resource_id = NEW.resource_id))
    WHERE seq = NEW.seq;
  UPDATE deployment_groups SET audit_seq = NEW.seq, audit_entries = audit_entries + 1
    WHERE NEW.resource_type = 'deployment_group' AND id = NEW.resource_id AND account_id = NEW.account_id;
  INSERT INTO audit_other_heads (account_id, resource_type, resource_id, seq, entries)
    SELECT coalesce(NEW.account_id, ''), NEW.resource_type, NEW.resource_id, NEW.seq, 1
    WHERE NEW.resource_type <> 'deployment_group' OR NOT EXISTS (SELECT 1 FROM deployment_groups
      WHERE id = NEW.resource_id AND account_id = NEW.account_id)
    ON CONFLICT (account_id, resource_type, resource_id)
    DO UPDATE SET seq = excluded.seq, entries = audit_other_heads.entries + 1;
END;

-- A deleted group's head goes to the table, where a restore or a revert (the same id again) finds it, and
-- comes back into the row when a group of that id is written again. A store writes a group's row and its
-- entry in either order: the head ends in the same place.
CREATE TRIGGER deployment_groups_audit_head_out AFTER DELETE ON deployment_groups WHEN OLD.audit_seq IS NOT NULL BEGIN
  INSERT INTO audit_other_heads (account_id, resource_type, resource_id, seq, entries)
    VALUES (OLD.account_id, 'deployment_group', OLD.id, OLD.audit_seq, OLD.audit_entries)
    ON CONFLICT (account_id, resource_type, resource_id) DO UPDATE SET seq = excluded.seq, entries = excluded.entries;
END;

CREATE TRIGGER deployment_groups_audit_head_in AFTER INSERT ON deployment_groups
  WHEN EXISTS (SELECT 1 FROM audit_other_heads WHERE account_id = NEW.account_id
    AND resource_type = 'deployment_group' AND resource_id = NEW.id)
BEGIN
  UPDATE deployment_groups SET (audit_seq, audit_entries) = (SELECT seq, entries FROM audit_other_heads
      WHERE account_id = NEW.account_id AND resource_type = 'deployment_group' AND resource_id = NEW.id)
    WHERE id = NEW.id;
  DELETE FROM audit_other_heads WHERE account_id = NEW.account_id AND resource_type = 'deployment_group'
    AND resource_id = NEW.id;
END;

-- Writes through the view, as the previous version makes them (retention's uncount, an import's wipe and
-- rebuild) land in the right place. An update applies its change of `entries` (retention subtracts what it
-- pruned) and
-- moves the seq only if it set another, so that it adds to whatever else changed the head meanwhile.
CREATE TRIGGER audit_heads_update INSTEAD OF UPDATE ON audit_heads BEGIN
  UPDATE deployment_groups SET audit_seq = CASE WHEN NEW.seq IS OLD.seq THEN audit_seq ELSE NEW.seq END,
      audit_entries = audit_entries + NEW.entries - OLD.entries
    WHERE OLD.resource_type = 'deployment_group' AND id = OLD.resource_id AND account_id = OLD.account_id
      AND audit_seq IS NOT NULL;
  UPDATE audit_other_heads SET seq = CASE WHEN NEW.seq IS OLD.seq THEN seq ELSE NEW.seq END,
      entries = entries + NEW.entries - OLD.entries
    WHERE account_id = OLD.account_id AND resource_type = OLD.resource_type AND resource_id = OLD.resource_id;
END;

CREATE TRIGGER audit_heads_delete INSTEAD OF DELETE ON audit_heads BEGIN
  UPDATE deployment_groups SET audit_seq = NULL, audit_entries = 0
    WHERE OLD.resource_type = 'deployment_group' AND id = OLD.resource_id AND account_id = OLD.account_id;
  DELETE FROM audit_other_heads
    WHERE account_id = OLD.account_id AND resource_type = OLD.resource_type AND resource_id = OLD.resource_id;
END;

CREATE TRIGGER audit_heads_insert INSTEAD OF INSERT ON audit_heads BEGIN
  UPDATE deployment_groups SET audit_seq = NEW.seq, audit_entries = NEW.entries
    WHERE NEW.resource_type = 'deployment_group' AND id = NEW.resource_id AND account_id = NEW.account_id;
  INSERT INTO audit_other_heads (account_id, resource_type, resource_id, seq, entries)
    SELECT NEW.account_id, NEW.resource_type, NEW.resource_id, NEW.seq, NEW.entries
    WHERE NEW.resource_type <> 'deployment_group' OR NOT EXISTS (SELECT 1 FROM deployment_groups
      WHERE id = NEW.resource_id AND account_id = NEW.account_id);
END;
