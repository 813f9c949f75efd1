-- Mirrors migrations/sqlite/004_audit_time_index.sql (see there): an account's log in seq order, with `at`
-- in the index so that the time window is tested on the index entries before any row is fetched.
DROP INDEX audit_log_account;
CREATE INDEX audit_log_account ON audit_log (account_id, seq, at);
