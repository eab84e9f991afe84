#pragma once
// The part of a report about one sweep: its setup, the paper's figures that
// its parameters allow, a table of configurations over seeds, the claims it
// can test, the attention logits' ranks against their cap, and a power-law
// fit of loss against parameters. Computed from the database; nothing is
// written until the caller draws and renders it.

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

// A fitted law per series, with the points it was fitted to.
struct LossFit {
  std::string series;
  PowerLawFit fit;
  std::vector<double> x, y;
};

// The logits' ranks of one configuration against their cap.
struct RankRow {
  std::string attention;
  int64_t heads = 0, head_size = 0, cap = 0;  // cap = min(head_size, seq_len)
  double numerical = 0, effective = 0;       // means over layers and seeds
};

struct SweepSection {
  std::string slug;  // the sweep's name made safe for file names
  JudgedMetric goal;
  SweepResults results;
  std::vector<Figure> figures;
  std::vector<Claim> claims;
  std::vector<LossFit> fits;
  std::string fit_metric;
  std::vector<RankRow> ranks;
  Table configurations;          // for CSV: one row per configuration, numbers unformatted
  Table configurations_display;  // for the page: mean ± standard deviation at one precision
  Document document;             // the section's blocks (compose_section)
};

// Computes a sweep's part of a report: results, figures, tables, claims and
// fits. An error when the sweep has no succeeded run that logged the metric,
// when --x or --series names a parameter the sweep does not have, or when a
// --curve prefix matches no configuration.
Result<SweepSection> build_sweep_section(Store& store, const SweepRecord& sweep, const SectionOptions& options);

// The claims as CSV rows (the report's SWEEP-claims.csv): every number unformatted.
Table claims_csv(const std::vector<Claim>& claims);

// Writes the section's blocks into section.document, once the report has
// given its claims their adjusted verdicts (adjust_verdicts) and sources.
void compose_section(SweepSection& section);

}  // namespace headroom
