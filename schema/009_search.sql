-- Schema version 9: adaptive search (docs/sweeps.md, "Adaptive search").
--
-- 1. A cell and a run may end "stopped early": the sweep's early_terminate
--    rule stopped the run (not failed, never retried; its metrics are kept).
--    SQLite cannot change a CHECK constraint in place, so cells and runs are
--    rebuilt with the new state in their lists (the documented table rebuild:
--    the migration runs with foreign keys off and checks them after).
CREATE TABLE cells_v9 (
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
              CHECK (state IN ('pending', 'running', 'succeeded', 'failed', 'cancelled', 'stopped early')),
  head_size   INTEGER,
  resources   TEXT NOT NULL DEFAULT '{}',
  forgiven_failures INTEGER NOT NULL DEFAULT 0,
  worker      TEXT,
  search_group TEXT,                      -- a search inside each grid cell: the outer cell's hash
  search_role  TEXT CHECK (search_role IN ('trial', 'replicate')),  -- a tuning trial, or the chosen setting on another seed
  UNIQUE (sweep_id, hash)
);
INSERT INTO cells_v9 (id, sweep_id, ordinal, hash, parameters, config, parameter_count, non_embedding_parameters,
                      flops_per_token, estimated_flops, state, head_size, resources, forgiven_failures, worker)
  SELECT id, sweep_id, ordinal, hash, parameters, config, parameter_count, non_embedding_parameters,
         flops_per_token, estimated_flops, state, head_size, resources, forgiven_failures, worker FROM cells;
DROP TABLE cells;
ALTER TABLE cells_v9 RENAME TO cells;
CREATE INDEX cells_by_state ON cells (sweep_id, state);

CREATE TABLE runs_v9 (
  id            INTEGER PRIMARY KEY,
  cell_id       INTEGER NOT NULL REFERENCES cells(id),
  attempt       INTEGER NOT NULL,          -- 1, 2, ... per cell
  state         TEXT NOT NULL DEFAULT 'starting'
                CHECK (state IN ('starting', 'running', 'succeeded', 'failed', 'diverged',
                                 'invalid', 'lost', 'cancelled', 'timeout', 'stopped early')),
  run_dir       TEXT NOT NULL,
  pid           INTEGER,
  host          TEXT,
  device        TEXT,
  started_at    REAL,
  ended_at      REAL,
  exit_code     INTEGER,
  signal        INTEGER,
  error         TEXT,                      -- the end event's error or the last stderr lines; why it stopped early
  start_info    TEXT,                      -- the start event (JSON): model size, device, versions
  end_status    TEXT,                      -- the end event's status, once ingested
  events_offset INTEGER NOT NULL DEFAULT 0, -- bytes of events.jsonl already ingested
  slurm_job     TEXT,
  rejected_lines INTEGER NOT NULL DEFAULT 0,
  event_problem TEXT,
  UNIQUE (cell_id, attempt)
);
INSERT INTO runs_v9 (id, cell_id, attempt, state, run_dir, pid, host, device, started_at, ended_at, exit_code, signal,
                     error, start_info, end_status, events_offset, slurm_job, rejected_lines, event_problem)
  SELECT id, cell_id, attempt, state, run_dir, pid, host, device, started_at, ended_at, exit_code, signal,
         error, start_info, end_status, events_offset, slurm_job, rejected_lines, event_problem FROM runs;
DROP TABLE runs;
ALTER TABLE runs_v9 RENAME TO runs;
CREATE INDEX runs_by_state ON runs (state);
CREATE INDEX runs_by_slurm_job ON runs (slurm_job) WHERE slurm_job IS NOT NULL;

-- 2. The proposals of a `method: bayes` sweep (or of the search inside each
--    cell of a grid: one sequence per `search_group`), in the order made. A proposal
--    is a pure function of the sampler's settings, the sweep's seed, its
--    index and the trials it saw (orchestrator/search/tpe.h), so these rows
--    are all the search's state: a resumed search continues at the next
--    index. `cell_id` is the cell it became; NULL when its values were
--    excluded by the sweep's constraints (`excluded` says why).
CREATE TABLE proposals (
  sweep_id    INTEGER NOT NULL REFERENCES sweeps(id),
  search_group TEXT NOT NULL DEFAULT '',  -- '' for a bayes sweep; else the outer cell's hash
  idx         INTEGER NOT NULL,           -- 0, 1, ... per sweep and group
  cell_id     INTEGER REFERENCES cells(id),
  parameters  TEXT NOT NULL,              -- the proposed values (JSON object)
  sampler     TEXT NOT NULL,              -- the sampler and its settings (JSON)
  trials_seen INTEGER NOT NULL,           -- finished and running trials it was proposed from
  excluded    TEXT,                       -- why no cell was made from it
  created_at  REAL NOT NULL,
  PRIMARY KEY (sweep_id, search_group, idx)
) WITHOUT ROWID;
