#pragma once
// Turns a sweep's results into a report folder: CSV tables, gnuplot scripts
// and their PNG plots, and a Markdown page tying them together. Reads the
// database only; draws with gnuplot (gnuplot-nox), whose scripts stay in the
// folder so a user can restyle them.

#include <string>
#include <vector>

#include "orchestrator/core/result.h"
#include "orchestrator/store/store.h"

namespace headroom {

struct ReportOptions {
  std::string out_dir;
  std::string x = "heads";          // parameter on the horizontal axis
  std::string series = "attention";  // parameter that separates the lines
  std::string metric = "eval/accuracy";
};

struct ReportFiles {
  std::string markdown;
  std::vector<std::string> files;  // everything written, markdown included
};

// Writes the report of one sweep. Cells aggregate their succeeded runs'
// final values (mean, standard deviation and count over seeds). An error
// when the sweep has no finished run with the metric, when the x or series
// parameter is not swept, or when gnuplot fails (its message included).
Result<ReportFiles> write_report(Store& store, const SweepRecord& sweep, const ReportOptions& options);

}  // namespace headroom
