-- Version 2: compact metrics, sweep state, derived head size, notes and tags.
-- See docs/schema.md. Runs inside one transaction with its user_version write.

-- Metric names are interned: a point is (run, metric id, step, value, time),
-- about a third smaller than repeating the name in every row.
CREATE TABLE metric_names (
  id    INTEGER PRIMARY KEY,
  name  TEXT NOT NULL UNIQUE
);
INSERT INTO metric_names (name)
  SELECT name FROM metrics UNION SELECT name FROM summaries ORDER BY 1;

CREATE TABLE metrics_v2 (
  run_id     INTEGER NOT NULL REFERENCES runs(id),
  metric_id  INTEGER NOT NULL REFERENCES metric_names(id),
  step       INTEGER NOT NULL,
  value      REAL,
  time       REAL NOT NULL,              -- Unix seconds when the worker logged it
  PRIMARY KEY (run_id, metric_id, step)  -- one run's curve is one contiguous range
) WITHOUT ROWID;
INSERT INTO metrics_v2 (run_id, metric_id, step, value, time)
  SELECT m.run_id, n.id, m.step, m.value, m.time FROM metrics m JOIN metric_names n ON n.name = m.name;
DROP TABLE metrics;
ALTER TABLE metrics_v2 RENAME TO metrics;

-- Where a sweep stands, and which orchestrator (host and pid) drives it, so
-- `status` can tell a live sweep from one whose orchestrator died.
ALTER TABLE sweeps ADD COLUMN state TEXT NOT NULL DEFAULT 'registered'
  CHECK (state IN ('registered', 'running', 'finished', 'interrupted'));
ALTER TABLE sweeps ADD COLUMN orchestrator_host TEXT;
ALTER TABLE sweeps ADD COLUMN orchestrator_pid INTEGER;
UPDATE sweeps SET state = CASE
  WHEN NOT EXISTS (SELECT 1 FROM cells WHERE sweep_id = sweeps.id AND state IN ('pending', 'running'))
    AND EXISTS (SELECT 1 FROM cells WHERE sweep_id = sweeps.id) THEN 'finished'
  WHEN EXISTS (SELECT 1 FROM runs r JOIN cells c ON c.id = r.cell_id WHERE c.sweep_id = sweeps.id)
    THEN 'interrupted'
  ELSE 'registered' END;

-- The resolved head size (standard attention derives it from d_model / heads).
ALTER TABLE cells ADD COLUMN head_size INTEGER;
UPDATE cells SET head_size = config ->> '$.head_size';

CREATE INDEX summaries_by_name ON summaries (name, run_id);

-- Free-text notes on a sweep or a run, and tags on runs.
CREATE TABLE notes (
  id          INTEGER PRIMARY KEY,
  sweep_id    INTEGER REFERENCES sweeps(id),
  run_id      INTEGER REFERENCES runs(id),
  text        TEXT NOT NULL,
  created_at  REAL NOT NULL,
  CHECK ((sweep_id IS NULL) <> (run_id IS NULL))
);
CREATE INDEX notes_by_run ON notes (run_id);
CREATE INDEX notes_by_sweep ON notes (sweep_id);

CREATE TABLE tags (
  run_id  INTEGER NOT NULL REFERENCES runs(id),
  tag     TEXT NOT NULL,
  PRIMARY KEY (run_id, tag)
) WITHOUT ROWID;
