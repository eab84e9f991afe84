-- Schema version 8: cells of a user's program (docs/programs.md). `worker` is
-- the program such a cell runs (orchestrator/spec/program_spec.h's stored
-- form, JSON): path, command template, interpreter, where its metrics come
-- from. NULL: the cell runs headroom-train, as every cell before this version.
ALTER TABLE cells ADD COLUMN worker TEXT;
