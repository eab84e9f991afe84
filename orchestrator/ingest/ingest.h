#pragma once
// Moves a run's events.jsonl into the database. Idempotent: the byte offset
// of the last complete line ingested is stored with the rows in the same
// transaction, so a crash at any point followed by another pass adds nothing
// twice and loses nothing. A torn last line (no newline yet) waits for the
// next pass.

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "orchestrator/core/result.h"
#include "orchestrator/store/store.h"

namespace headroom {

struct IngestReport {
  size_t events = 0;           // events applied in this pass
  size_t malformed_lines = 0;  // complete lines that were not JSON objects (skipped)
};

// Ingests everything new in run_dir/events.jsonl of the run. A missing file
// is not an error (the worker may not have started writing yet).
Result<IngestReport> ingest_run(Store& store, int64_t run_id);

}  // namespace headroom
