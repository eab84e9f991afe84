-- Schema version 3: attempts run by SLURM (orchestrator/scheduler/slurm_scheduler.*).
--
-- slurm_job is the attempt's array task, "ARRAY_INDEX" (e.g. "4711_3"), once
-- sbatch has accepted it. Before sbatch is called the orchestrator writes
-- "submitting:JOBNAME_INDEX", so that an orchestrator killed between sbatch
-- and recording its answer finds the array by its job name and adopts it
-- instead of submitting the cell twice. NULL for attempts run locally.
ALTER TABLE runs ADD COLUMN slurm_job TEXT;
CREATE INDEX runs_by_slurm_job ON runs (slurm_job) WHERE slurm_job IS NOT NULL;
