-- Schema version 6: `headroom run/resume --retry-failed` runs failed cells
-- again with a fresh set of retries: the failed attempts it sets aside no
-- longer count against the sweep's `retries` (orchestrator/scheduler/
-- lifecycle.h). The attempts themselves stay, as history.
ALTER TABLE cells ADD COLUMN forgiven_failures INTEGER NOT NULL DEFAULT 0;
