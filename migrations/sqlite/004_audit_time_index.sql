-- The audit list over a time window (docs/contract.md §8.2) at scale: an account's log is read newest first
-- along (account_id, seq), and an old window (`since`/`before` months back) skips every newer entry first.
-- With `at` in the index, that skip is read from the index alone instead of fetching each entry's row (with
-- its before/after) to test its time: ~8.5× faster over 1,000,000 entries (docs/performance.md, "Change
-- control"). Same index otherwise, so every other plan stays what it was, and no index is added to the
-- write path. (An index on (account_id, at, seq) was measured and rejected: without statistics SQLite
-- picks it for every window and sorts the whole window: a window of all entries took 11.5 s.)
DROP INDEX audit_log_account;
CREATE INDEX audit_log_account ON audit_log (account_id, seq, at);
