#pragma once
// Moves a run's events.jsonl (for a program's sweep with `metrics: stdout`, the
// JSON objects among the lines it printed) into the database: the reading side of the
// worker protocol (common/protocol.h, docs/events.md). Idempotent: the byte
// offset of the last complete line ingested is stored with the rows in the
// same transaction, so a crash at any point followed by another pass adds
// nothing twice and loses nothing. A torn last line (no newline yet) waits for
// the next pass. A complete line that is not an event of this protocol
// version is refused: counted on the run, the first one's problem recorded.

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "common/result.h"
#include "orchestrator/store/store.h"

namespace headroom {

struct IngestReport {
  size_t events = 0;           // events applied in this pass
  size_t rejected_lines = 0;   // complete lines refused in this pass (runs.rejected_lines)
};

// Whether the run's worker has ended. A running worker may still finish its
// last line, so one without a newline waits; once the worker has ended, that
// line is read as it stands: an event whose newline is all that is missing is
// stored, a torn one is refused and counted like any other bad line, and
// either way nothing is left pending forever.
enum class WorkerEnded : bool { no, yes };

// Ingests everything new in run_dir/events.jsonl of the run. A missing file
// is not an error (the worker may not have started writing yet).
Result<IngestReport> ingest_run(Store& store, int64_t run_id, WorkerEnded ended = WorkerEnded::no);

}  // namespace headroom
