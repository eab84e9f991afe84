#pragma once
// The paper view's answer (GET /api/report, docs/api.md): the report that
// `headroom report` would write for some sweeps, as JSON. It is the reports
// library's own computation (build_sweep_section, complete_report), made
// again at every request, so it follows a running sweep as its seeds finish.
// Nothing is drawn or written: a figure is its data, a claim its numbers.

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/result.h"
#include "orchestrator/store/store.h"

namespace headroom {

struct ReportRequest {
  std::vector<std::string> sweeps;  // in the report's order; empty: every sweep, oldest first
  std::string metric;  // empty: each sweep's own, else eval/accuracy (as `headroom report`)
};

// {"sweeps", "waiting", "claims", "sections"}: the sweeps reported; those
// that cannot be yet ({"sweep", "reason"}: no succeeded run has logged the
// metric) instead of failing the whole answer; the report's distinct claims
// with their verdicts and intervals; and per sweep its figures' series, the
// attention logits' ranks against their cap, the power-law fits and the
// configurations over seeds. An invalid_input error for a sweep that does not
// exist; a store error as it is.
Result<nlohmann::ordered_json> report_json(Store& store, const ReportRequest& request);

}  // namespace headroom
