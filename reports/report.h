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

// A report's content, computed from the database before anything is drawn
// or written: each sweep's section (its figures' data, tables, claims, ranks
// and fits, composed) and the report's distinct claims, whose `adjusted`
// verdicts are Holm's across them. Move-only: `claims` point into `sections`.
struct ReportContent {
  std::vector<SweepSection> sections;
  std::vector<const Claim*> claims;  // one per distinct comparison, in the order the report lists them

  ReportContent() = default;
  ReportContent(ReportContent&&) = default;
  ReportContent& operator=(ReportContent&&) = default;
  ReportContent(const ReportContent&) = delete;
  ReportContent& operator=(const ReportContent&) = delete;
};

// Completes the sections of one report (build_sweep_section's, in the order
// the report lists them): a claim that repeats an earlier comparison of the
// same two configurations is counted once, with both sources; every claim
// gets its Holm-adjusted verdict across the distinct ones; each section is
// composed; a series keeps one colour across the report's figures. What
// write_report writes and what `headroom serve` answers at /api/report.
ReportContent complete_report(std::vector<SweepSection> sections);

// Writes the report of `sweeps` (at least one). Everything is computed and
// drawn in a scratch folder first; only a complete report is moved into
// out_dir, replacing files of the same names, so a failure (an empty sweep,
// a bad flag, gnuplot failing) leaves out_dir as it was and says why.
Result<ReportFiles> write_report(Store& store, const std::vector<SweepRecord>& sweeps, const ReportOptions& options);

}  // namespace headroom
