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

DROP INDEX audit_log_resource;
