-- Mirrors migrations/sqlite/007_audit_chain.sql (see there): each resource's audit entries as a chain from
-- audit_heads, instead of the per-resource index.
ALTER TABLE audit_log ADD COLUMN previous_seq BIGINT;

CREATE TABLE audit_heads (
  account_id    TEXT COLLATE "C" NOT NULL,
  resource_type TEXT COLLATE "C" NOT NULL,
  resource_id   TEXT COLLATE "C" NOT NULL,
  seq           BIGINT NOT NULL,
  entries       INTEGER NOT NULL,
  PRIMARY KEY (account_id, resource_type, resource_id)
);

UPDATE audit_log SET previous_seq = chained.previous_seq FROM (
    SELECT seq, lag(seq) OVER (PARTITION BY coalesce(account_id, ''), resource_type, resource_id ORDER BY seq) AS previous_seq
    FROM audit_log) AS chained
  WHERE audit_log.seq = chained.seq AND chained.previous_seq IS NOT NULL;
INSERT INTO audit_heads (account_id, resource_type, resource_id, seq, entries)
  SELECT coalesce(account_id, ''), resource_type, resource_id, max(seq), count(*) FROM audit_log
  GROUP BY coalesce(account_id, ''), resource_type, resource_id;

-- Every entry joins its resource's chain as it is written (see the SQLite migration). Here it matters for
-- a rolling upgrade too: replicas of the previous version go on writing entries until they are replaced.
-- The head is locked before it is read, so two entries of one resource written at once cannot both take it
-- as their previous one; the first entry of a resource inserts its head, and one that loses that race waits
-- for the winner's commit (ON CONFLICT), then locks the winner's head.
CREATE FUNCTION audit_chain() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  head TEXT := coalesce(NEW.account_id, '');
BEGIN
  LOOP
    SELECT seq INTO NEW.previous_seq FROM audit_heads
      WHERE account_id = head AND resource_type = NEW.resource_type AND resource_id = NEW.resource_id FOR UPDATE;
    IF FOUND THEN
      UPDATE audit_heads SET seq = NEW.seq, entries = entries + 1
        WHERE account_id = head AND resource_type = NEW.resource_type AND resource_id = NEW.resource_id;
      RETURN NEW;
    END IF;
    INSERT INTO audit_heads (account_id, resource_type, resource_id, seq, entries)
      VALUES (head, NEW.resource_type, NEW.resource_id, NEW.seq, 1) ON CONFLICT DO NOTHING;
    IF FOUND THEN
      RETURN NEW;
    END IF;
  END LOOP;
END
$$;
CREATE TRIGGER audit_chain BEFORE INSERT ON audit_log FOR EACH ROW EXECUTE FUNCTION audit_chain();

DROP INDEX audit_log_resource;
