-- Headroom results database, version 1. See docs/schema.md.
-- The orchestrator is the only writer; every other connection is read-only.

CREATE TABLE sweeps (
  id          INTEGER PRIMARY KEY,
  name        TEXT NOT NULL UNIQUE,
  spec_text   TEXT NOT NULL,              -- the sweep file, verbatim
  spec_hash   TEXT NOT NULL,              -- SHA-256 of spec_text
  spec_path   TEXT NOT NULL,
  runs_root   TEXT NOT NULL,              -- run folders live under runs_root/name/
  created_at  REAL NOT NULL,              -- Unix seconds
  metric      TEXT,                       -- the sweep's metric name, if given
  goal        TEXT                        -- maximize | minimize
);

CREATE TABLE cells (
  id          INTEGER PRIMARY KEY,
  sweep_id    INTEGER NOT NULL REFERENCES sweeps(id),
  ordinal     INTEGER NOT NULL,           -- position in the expanded grid
  hash        TEXT NOT NULL,              -- SHA-256 of the canonical config
  parameters  TEXT NOT NULL,              -- swept values as a JSON object
  config      TEXT NOT NULL,              -- the complete resolved trainer config (JSON)
  parameter_count          INTEGER NOT NULL,
  non_embedding_parameters INTEGER NOT NULL,
  flops_per_token          REAL NOT NULL, -- training FLOPs per token
  estimated_flops          REAL NOT NULL, -- flops_per_token x tokens trained
  state       TEXT NOT NULL DEFAULT 'pending'
              CHECK (state IN ('pending', 'running', 'succeeded', 'failed', 'cancelled')),
  UNIQUE (sweep_id, hash)
);
CREATE INDEX cells_by_state ON cells (sweep_id, state);

-- One row per swept parameter of a cell, typed for filtering.
CREATE TABLE cell_parameters (
  cell_id     INTEGER NOT NULL REFERENCES cells(id),
  name        TEXT NOT NULL,
  value       ANY,                         -- INTEGER, REAL or TEXT as written
  PRIMARY KEY (cell_id, name)
) WITHOUT ROWID;

-- One row per attempt at a cell.
CREATE TABLE runs (
  id            INTEGER PRIMARY KEY,
  cell_id       INTEGER NOT NULL REFERENCES cells(id),
  attempt       INTEGER NOT NULL,          -- 1, 2, ... per cell
  state         TEXT NOT NULL DEFAULT 'starting'
                CHECK (state IN ('starting', 'running', 'succeeded', 'failed', 'diverged',
                                 'invalid', 'lost', 'cancelled', 'timeout')),
  run_dir       TEXT NOT NULL,
  pid           INTEGER,
  host          TEXT,
  device        TEXT,
  started_at    REAL,
  ended_at      REAL,
  exit_code     INTEGER,
  signal        INTEGER,
  error         TEXT,                      -- the end event's error or the last stderr lines
  start_info    TEXT,                      -- the start event (JSON): model size, device, versions
  end_status    TEXT,                      -- the end event's status, once ingested
  events_offset INTEGER NOT NULL DEFAULT 0, -- bytes of events.jsonl already ingested
  UNIQUE (cell_id, attempt)
);
CREATE INDEX runs_by_state ON runs (state);

-- Every metric point a worker wrote. (run, name, step) is unique, so replaying
-- an events file never duplicates a row.
CREATE TABLE metrics (
  run_id  INTEGER NOT NULL REFERENCES runs(id),
  name    TEXT NOT NULL,
  step    INTEGER NOT NULL,
  value   REAL,
  time    REAL NOT NULL,
  PRIMARY KEY (run_id, name, step)
) WITHOUT ROWID;

-- Last and best value per run and metric, maintained at ingestion.
CREATE TABLE summaries (
  run_id     INTEGER NOT NULL REFERENCES runs(id),
  name       TEXT NOT NULL,
  last_step  INTEGER NOT NULL,
  last_value REAL,
  min_value  REAL,
  max_value  REAL,
  PRIMARY KEY (run_id, name)
) WITHOUT ROWID;
