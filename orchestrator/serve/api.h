#pragma once
// The JSON API of `headroom serve` (docs/api.md): what the dashboard shows,
// for scripts too. Routing and answers only, over a read-only store; the HTTP
// server (server.h) hands each GET here. Every answer is JSON; an unknown
// path is 404, a bad parameter 400, each with {"error": "..."}.
//
//   GET /api/sweeps                    every sweep's snapshot (status --json)
//   GET /api/sweeps/NAME               one sweep's snapshot, with its notes,
//                                      metric, parameters and metric names
//   GET /api/sweeps/NAME/importance?metric=M&where=EXPR
//                                      each parameter's main effect (importance.h)
//   GET /api/runs?sweep=A,B&where=EXPR&sort=COL,-COL&columns=C,D&limit=N
//                                      the runs' wide rows (runs --json)
//   GET /api/runs/ID                   one run (show --json)
//   GET /api/runs/ID/metrics?names=A,B its curves: {name: [[step, value], ...]}
//   GET /api/runs/ID/logs?tail=N       the last N lines of its stdout and stderr
//   GET /api/curves?runs=1,2&names=A,B many runs' curves in one answer:
//                                      {run: {name: [[step, value], ...]}}
//   GET /api/report?sweep=A,B&metric=M the paper's claims, verdicts, intervals
//                                      and figures' data (report_json.h)

#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "orchestrator/store/store.h"

namespace headroom {

struct ApiRequest {
  std::string path;                          // e.g. "/api/runs/12"
  std::map<std::string, std::string> query;  // decoded query parameters
};

struct ApiResponse {
  int status = 200;
  nlohmann::ordered_json body;
  std::string text = "";  // when set, the body already written as JSON (curves: curves_json.h), and `body` unused
};

ApiResponse answer_api(Store& store, const ApiRequest& request);

}  // namespace headroom
