#pragma once
// Deleting sweeps and runs with every row that hangs from them: the one place
// that knows which tables refer to a sweep or a run, for `headroom delete`
// and for `db export` (which deletes the sweeps it leaves out of its copy).

#include "orchestrator/store/sqlite.h"

namespace headroom {

// Deletes the sweeps whose ids are in the TEMP table gone_sweeps(id) and the
// runs whose ids are in gone_runs(id): their points, summaries, tags, notes,
// and a gone sweep's cells and parameters. The caller fills both tables (a
// gone sweep's runs too) and owns the transaction.
void delete_gone_rows(sqlite::Connection& connection);

// Creates the empty TEMP tables delete_gone_rows reads.
void create_gone_tables(sqlite::Connection& connection);

}  // namespace headroom
