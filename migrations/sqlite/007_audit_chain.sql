-- Each resource's audit entries as a chain (docs/decisions/0011-change-control.md, "The history chain"): an entry names the seq of
-- the same resource's previous entry, and audit_heads holds the newest entry of each resource and how many
-- it has. History walks the chain from the head, newest first, so the per-resource index goes: it was three
-- quarters of the bytes a durable PATCH wrote (its entries clustered by resource, one dirty page per group
-- changed in a commit), where the heads of 100 groups fit in 2–3 pages (docs/performance.md, "Bytes per
-- durable PATCH"). Kept by the trigger below, in the entry's own transaction.
ALTER TABLE audit_log ADD COLUMN previous_seq INTEGER;

-- account_id '' for an entry that concerns every account (audit_log.account_id NULL): a key holds no NULL.
-- `entries` is what the history's total says; retention pruning takes pruned entries out of it.
CREATE TABLE audit_heads (
  account_id    TEXT NOT NULL,
  resource_type TEXT NOT NULL,
  resource_id   TEXT NOT NULL,
  seq           INTEGER NOT NULL,
  entries       INTEGER NOT NULL,
  PRIMARY KEY (account_id, resource_type, resource_id)
) WITHOUT ROWID;

-- The chains and heads of the entries written so far (the same statements as src/store/sql.ts
-- REBUILD_AUDIT_CHAIN, which an import runs).
UPDATE audit_log SET previous_seq = chained.previous_seq FROM (
    SELECT seq, lag(seq) OVER (PARTITION BY coalesce(account_id, ''), resource_type, resource_id ORDER BY seq) AS previous_seq
    FROM audit_log) AS chained
  WHERE audit_log.seq = chained.seq AND chained.previous_seq IS NOT NULL;
INSERT INTO audit_heads (account_id, resource_type, resource_id, seq, entries)
  SELECT coalesce(account_id, ''), resource_type, resource_id, max(seq), count(*) FROM audit_log
  GROUP BY coalesce(account_id, ''), resource_type, resource_id;

-- Every entry joins its resource's chain as it is written, in its own transaction, whoever writes it: this
-- server, a CLI command, an import, or a version before 007 (a downgrade then upgrade, test fixtures). The
-- row was just written, so setting its previous_seq rewrites a page the insert already dirtied.
CREATE TRIGGER audit_chain AFTER INSERT ON audit_log BEGIN
  UPDATE audit_log SET previous_seq = (SELECT seq FROM audit_heads WHERE account_id = coalesce(NEW.account_id, '')
      AND resource_type = NEW.resource_type AND resource_id = NEW.resource_id)
    WHERE seq = NEW.seq;
  INSERT INTO audit_heads (account_id, resource_type, resource_id, seq, entries)
    VALUES (coalesce(NEW.account_id, ''), NEW.resource_type, NEW.resource_id, NEW.seq, 1)
    ON CONFLICT (account_id, resource_type, resource_id)
    DO UPDATE SET seq = excluded.seq, entries = audit_heads.entries + 1;
END;

DROP INDEX audit_log_resource;
