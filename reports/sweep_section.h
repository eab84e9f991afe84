#pragma once
// The part of a report about one sweep: its setup, the paper's figures that
// its parameters allow, a table of configurations over seeds, the claims it
// can test and a power-law fit of loss against parameters. Computed from the
// database; nothing is written until the caller draws and renders it.

#include <string>
#include <vector>

#include "common/result.h"
#include "common/table.h"
#include "orchestrator/store/store.h"
#include "reports/claims.h"
#include "reports/document.h"
#include "reports/figure.h"
#include "reports/results.h"

namespace headroom {

struct SectionOptions {
  std::string x;       // parameter on the x axis; empty: the paper's layout
  std::string series;  // parameter separating lines; empty: every other swept parameter
  std::string metric;  // empty: the sweep's metric, else eval/accuracy
  std::vector<std::string> curve_cells;  // cell hash prefixes for learning curves; empty: a default choice
};

// A fitted law per series and where two of them cross.
struct LossFit {
  std::string series;
  PowerLawFit fit;
};

struct SweepSection {
  std::string slug;  // the sweep's name made safe for file names
  JudgedMetric goal;
  SweepResults results;
  std::vector<Figure> figures;
  std::vector<Claim> claims;
  std::vector<LossFit> fits;
  std::string fit_metric;
  Table configurations;  // for CSV: one row per configuration, numbers unformatted
  Table claims_table;    // for CSV: claims with their intervals
  Document document;     // the section's blocks (level-2 heading first)
};

// An error when the sweep has no succeeded run that logged the metric, when
// --x or --series names a parameter the sweep does not have, or when a
// --curve prefix matches no configuration.
Result<SweepSection> build_sweep_section(Store& store, const SweepRecord& sweep, const SectionOptions& options);

}  // namespace headroom
