#pragma once
// `headroom report`: turns the results of one or more sweeps into a report
// folder. report.html is self-contained (figures inlined as SVG, opens
// offline); report.md shows the same with PNG figures beside it; CSV tables
// hold the numbers; each figure's gnuplot script and data stay in the folder
// so a user can restyle it. Reads the database only.

#include <string>
#include <vector>

#include "common/result.h"
#include "orchestrator/store/store.h"
#include "reports/sweep_section.h"

namespace headroom {

struct ReportOptions {
  std::string out_dir;
  SectionOptions section;
};

struct ReportFiles {
  std::string html, markdown;
  std::vector<std::string> files;  // everything written, by path
};

// Writes the report of `sweeps` (at least one). Everything is computed and
// drawn in a scratch folder first; only a complete report is moved into
// out_dir, replacing files of the same names, so a failure (an empty sweep,
// a bad flag, gnuplot failing) leaves out_dir as it was and says why.
Result<ReportFiles> write_report(Store& store, const std::vector<SweepRecord>& sweeps, const ReportOptions& options);

}  // namespace headroom
