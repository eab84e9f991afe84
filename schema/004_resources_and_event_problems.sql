-- Schema version 4: a cell's resources apart from its trainer config, and what
-- ingestion refused of a run's events. See docs/schema.md.

-- What a cell asks of the machine (orchestrator/spec/resources.h): device,
-- gpus, gpu_memory_gb, priority and, when the sweep sets it, threads. Earlier
-- versions kept these in the trainer config; gpus, gpu_memory_gb and priority
-- leave it (the trainer never read them). threads and device stay there too:
-- the trainer reads them. A cell's hash never included any of them.
ALTER TABLE cells ADD COLUMN resources TEXT NOT NULL DEFAULT '{}';
UPDATE cells SET resources = json_object(
    'device', coalesce(config ->> '$.device', 'auto'),
    'gpus', coalesce(config ->> '$.gpus', 1),
    'gpu_memory_gb', coalesce(config ->> '$.gpu_memory_gb', 0.0),
    'priority', coalesce(config ->> '$.priority', 0));
-- Version 3 gave a cell its own thread count only when its sweep set `threads`
-- somewhere (in base, a parameter or an override); otherwise `--threads` did.
UPDATE cells SET resources = json_set(resources, '$.threads', config ->> '$.threads')
  WHERE config ->> '$.threads' IS NOT NULL
    AND instr((SELECT spec_text FROM sweeps WHERE id = cells.sweep_id), 'threads') > 0;
UPDATE cells SET config = json_remove(config, '$.gpus', '$.gpu_memory_gb', '$.priority');
-- The trainer's `kernels` setting (auto | native | torch) is new: cells
-- recorded before it ran with what is now "auto". Not part of a cell's hash.
UPDATE cells SET config = json_set(config, '$.kernels', 'auto') WHERE json_type(config, '$.kernels') IS NULL;

-- Event lines ingestion refused (not JSON objects, an unknown protocol
-- version), and the first one's problem, so `show` and `db check` can say so.
ALTER TABLE runs ADD COLUMN rejected_lines INTEGER NOT NULL DEFAULT 0;
ALTER TABLE runs ADD COLUMN event_problem TEXT;
