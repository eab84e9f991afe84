-- Schema version 5: the runs_wide view is no longer stored. Earlier versions
-- regenerated it over every sweep whenever a parameter or metric name
-- appeared, so one worker logging thousands of metric names pushed it past
-- SQLite's column limit and broke queries on every sweep. Its columns are now
-- generated per question (orchestrator/store/wide_view.h), and `headroom
-- query` creates it as a TEMP view of its own connection.
DROP VIEW IF EXISTS runs_wide;
