-- 002 keeps SQLite's migration numbers aligned. SQLite keeps per-account group counts in a table
-- (migrations/sqlite/002_account_group_counts.sql); PostgreSQL keeps counting with its index, because a
-- counter row per account would serialize every concurrent create and delete in that account across all
-- replicas behind one row lock (docs/performance.md).
SELECT 1;
