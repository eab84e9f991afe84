#include "orchestrator/serve/report_json.h"

#include <cmath>

#include "reports/report.h"

namespace headroom {
namespace {

using Json = nlohmann::ordered_json;

// A number, or null for one JSON cannot hold (a fit over one point, a p-value of no test).
Json number(double value) { return std::isfinite(value) ? Json(value) : Json(); }

Json side_json(const std::optional<ClaimSide>& side) {
  if (!side) return Json();
  return {{"description", side->description},
          {"non_embedding_parameters", side->non_embedding_parameters},
          {"mean", number(side->mean)},
          {"seeds", side->seeds}};
}

// The predicted advantage with its 95% interval (positive supports the claim).
Json test_json(const std::optional<Comparison>& test) {
  if (!test) return Json();
  Json body = {{"estimate", number(test->interval.estimate)},
               {"low", number(test->interval.low)},
               {"high", number(test->interval.high)},
               {"p_value", test->degenerate ? Json() : number(test->p_value)},
               {"method", test->pairing == Pairing::paired ? "paired" : "welch"},
               {"degenerate", test->degenerate}};
  if (test->pairing == Pairing::paired) {
    body["seeds"] = test->pairs;
  } else {
    body["seeds"] = Json::array({test->count_a, test->count_b});
  }
  return body;
}

Json claim_json(const Claim& claim) {
  return {{"comparison", claim.comparison},
          {"mirrors", claim.mirrors},
          {"statement", claim.statement},
          {"finding", claim.finding},
          {"sources", claim.sources},
          {"sanity_check", claim.sanity_check},
          {"verdict", claim.verdict_text(false)},
          {"holm_verdict", claim.verdict_text(true)},
          {"better", side_json(claim.better)},
          {"worse", side_json(claim.worse)},
          {"advantage", test_json(claim.test)}};
}

Json figure_json(const Figure& figure) {
  Json series = Json::array();
  for (const auto& line : figure.series) {
    Json points = Json::array();
    for (const auto& point : line.points)
      points.push_back({number(point.x), number(point.y), number(point.error)});
    series.push_back({{"title", line.title},
                      {"color", line.color},
                      {"dashed", line.dashed},
                      {"points", std::move(points)}});
  }
  return {{"id", figure.id},           {"caption", figure.caption}, {"x_label", figure.x_label},
          {"y_label", figure.y_label}, {"log_x", figure.log_x},     {"series", std::move(series)}};
}

Json section_json(const SweepSection& section) {
  Json figures = Json::array();
  for (const auto& figure : section.figures) figures.push_back(figure_json(figure));
  Json ranks = Json::array();
  for (const auto& row : section.ranks) {
    ranks.push_back({{"attention", row.attention},
                     {"heads", row.heads},
                     {"head_size", row.head_size},
                     {"cap", row.cap},
                     {"numerical", number(row.numerical)},
                     {"effective", number(row.effective)}});
  }
  Json fits = Json::array();
  for (const auto& fit : section.fits) {
    fits.push_back({{"series", fit.series},
                    {"exponent", number(fit.fit.exponent)},
                    {"exponent_low", number(fit.fit.exponent_low)},
                    {"exponent_high", number(fit.fit.exponent_high)},
                    {"coefficient", number(std::pow(10, fit.fit.log10_coefficient))},
                    {"r_squared", number(fit.fit.r_squared)},
                    {"points", fit.fit.points},
                    {"min_x", number(fit.fit.min_x)},
                    {"max_x", number(fit.fit.max_x)}});
  }
  Json rows = Json::array();
  for (const auto& row : section.configurations.rows) rows.push_back(Json(row));
  const SweepResults& results = section.results;
  return {
      {"sweep", results.sweep.name},
      {"metric", section.goal.name},
      {"maximize", section.goal.maximize},
      {"cells", results.cell_states},
      {"succeeded_runs", results.succeeded_runs},
      {"figures", std::move(figures)},
      {"ranks", std::move(ranks)},
      {"fit_metric", section.fit_metric},
      {"fits", std::move(fits)},
      {"configurations", {{"columns", section.configurations.columns}, {"rows", std::move(rows)}}}};
}

}  // namespace

Result<Json> report_json(Store& store, const ReportRequest& request) {
  std::vector<SweepRecord> sweeps;
  if (request.sweeps.empty()) {
    HEADROOM_ASSIGN_OR_RETURN(sweeps, store.sweeps());
  }
  for (const auto& name : request.sweeps) {
    HEADROOM_ASSIGN_OR_RETURN(auto found, store.find_sweep(name));
    if (!found) return Error::invalid("no sweep named '" + name + "'");
    sweeps.push_back(*found);
  }
  SectionOptions options;
  options.metric = request.metric;
  std::vector<SweepSection> built;
  Json waiting = Json::array();
  for (const auto& sweep : sweeps) {
    auto section = build_sweep_section(store, sweep, options);
    if (section) {
      built.push_back(std::move(section.value()));
    } else if (section.error().kind == ErrorKind::invalid_input) {
      // Nothing measured yet (or not this metric): a sweep still starting, not a broken question.
      waiting.push_back({{"sweep", sweep.name}, {"reason", section.error().to_string()}});
    } else {
      return section.error();
    }
  }
  const ReportContent content = complete_report(std::move(built));
  Json body = Json::object();
  body["sweeps"] = Json::array();
  for (const auto& section : content.sections) body["sweeps"].push_back(section.results.sweep.name);
  body["waiting"] = std::move(waiting);
  body["claims"] = Json::array();
  for (const Claim* claim : content.claims) body["claims"].push_back(claim_json(*claim));
  body["sections"] = Json::array();
  for (const auto& section : content.sections) body["sections"].push_back(section_json(section));
  return body;
}

}  // namespace headroom
