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
-- The head is locked first, so two entries of one resource cannot both take it as their previous one.
CREATE FUNCTION audit_chain() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  SELECT seq INTO NEW.previous_seq FROM audit_heads WHERE account_id = coalesce(NEW.account_id, '')
    AND resource_type = NEW.resource_type AND resource_id = NEW.resource_id FOR UPDATE;
  INSERT INTO audit_heads (account_id, resource_type, resource_id, seq, entries)
    VALUES (coalesce(NEW.account_id, ''), NEW.resource_type, NEW.resource_id, NEW.seq, 1)
    ON CONFLICT (account_id, resource_type, resource_id)
    DO UPDATE SET seq = excluded.seq, entries = audit_heads.entries + 1;
  RETURN NEW;
END
$$;
CREATE TRIGGER audit_chain BEFORE INSERT ON audit_log FOR EACH ROW EXECUTE FUNCTION audit_chain();

DROP INDEX audit_log_resource;
