// headroom export [SWEEP...]: runs, and with --curves every metric point, as
// CSV, JSON or JSON lines for pandas, R or DuckDB.
#include <cstdio>
#include <fstream>

#include "orchestrator/cli/commands.h"
#include "common/table.h"
#include "orchestrator/query/run_query.h"

namespace headroom::cli {
namespace {

struct ExportOptions {
  RunQuery query;
  std::string format = "csv";
  bool curves = false;
  std::string out;  // empty = standard output
};

// CSV curves: one row per point, long format, with the run's identity and
// parameters repeated so a single file is enough for plotting.
Result<std::string> curves_csv(Store& store, const Table& runs) {
  Table points;
  points.columns = runs.columns;
  points.columns.insert(points.columns.end(), {"metric", "step", "value", "time"});
  std::string out;
  bool header = true;
  for (const auto& row : runs.rows) {
    HEADROOM_ASSIGN_OR_RETURN(auto curves, store.curves(row[0].get<int64_t>()));
    points.rows.clear();
    for (const auto& [name, curve] : curves) {
      for (const auto& point : curve) {
        auto line = row;
        line.insert(line.end(), {name, point.step, point.value ? nlohmann::json(*point.value) : nlohmann::json(),
                                 point.time});
        points.rows.push_back(std::move(line));
      }
    }
    if (points.rows.empty() && !header) continue;
    HEADROOM_ASSIGN_OR_RETURN(std::string text, format_table(points, "csv"));
    out += header ? text : text.substr(text.find('\n') + 1);
    header = false;
  }
  return out;
}

// JSON curves: each run object gains "curves": {metric: {step: [...], value: [...], time: [...]}}.
Result<std::string> runs_with_curves_json(Store& store, const Table& runs, bool lines) {
  nlohmann::ordered_json all = nlohmann::ordered_json::array();
  std::string out;
  for (const auto& row : runs.rows) {
    nlohmann::ordered_json run;
    for (size_t i = 0; i < runs.columns.size(); ++i) run[runs.columns[i]] = row[i];
    HEADROOM_ASSIGN_OR_RETURN(auto curves, store.curves(row[0].get<int64_t>()));
    nlohmann::ordered_json by_name = nlohmann::ordered_json::object();
    for (const auto& [name, curve] : curves) {
      nlohmann::json steps = nlohmann::json::array(), values = nlohmann::json::array(),
                     times = nlohmann::json::array();
      for (const auto& point : curve) {
        steps.push_back(point.step);
        values.push_back(point.value ? nlohmann::json(*point.value) : nlohmann::json());
        times.push_back(point.time);
      }
      by_name[name] = {{"step", steps}, {"value", values}, {"time", times}};
    }
    run["curves"] = by_name;
    if (lines) {
      out += json_text(run) + "\n";
    } else {
      all.push_back(std::move(run));
    }
  }
  return lines ? out : json_text(all, 2) + "\n";
}

int export_runs(ExportOptions options, const GlobalOptions& global) {
  auto store = Store::open_read_only(global.database);
  if (!store) return report_error(store.error());
  // The run id leads every row: the curves are looked up by it.
  if (!options.query.columns.empty() && options.query.columns.front() != "run") {
    options.query.columns.insert(options.query.columns.begin(), "run");
  }
  auto runs = query_runs(*store.value(), options.query);
  if (!runs) return report_error(runs.error());
  Result<std::string> text = std::string();
  if (!options.curves) {
    text = format_table(runs.value(), options.format);
  } else if (options.format == "csv") {
    text = curves_csv(*store.value(), runs.value());
  } else {
    text = runs_with_curves_json(*store.value(), runs.value(), options.format == "jsonl");
  }
  if (!text) return report_error(text.error());
  if (options.out.empty() || options.out == "-") {
    std::fputs(text->c_str(), stdout);
    return 0;
  }
  // Written beside the target and renamed: a reader never sees half a file.
  std::string partial = options.out + ".partial";
  {
    std::ofstream out(partial, std::ios::binary);
    out << text.value();
    if (!out) return report_error(Error::io("cannot write '" + partial + "'"));
  }
  if (std::rename(partial.c_str(), options.out.c_str()) != 0) {
    return report_error(Error::io("cannot move '" + partial + "' to '" + options.out + "'"));
  }
  std::fprintf(stderr, "headroom: wrote %zu runs to %s\n", runs->rows.size(), options.out.c_str());
  return 0;
}

}  // namespace

void add_export_command(CLI::App& app, const GlobalOptions& global, int& exit_status) {
  auto options = std::make_shared<ExportOptions>();
  auto* command = app.add_subcommand(
      "export", "Export runs (every parameter and final metric) and, with --curves, every metric point");
  command->add_option("sweeps", options->query.sweeps, "only these sweeps");
  command->add_option("-w,--where", options->query.where, "filter, as for 'headroom runs'");
  command->add_option("-c,--columns", options->query.columns, "columns (default: all of the sweep's)")
      ->delimiter(',');
  add_format_options(*command, options->format, {"csv", "json", "jsonl"});
  command->add_flag("--curves", options->curves,
                    "include metric curves (csv: one row per point; json/jsonl: a 'curves' object per run)");
  command->add_option("-o,--out", options->out, "write to this file instead of standard output");
  command->callback([options, &global, &exit_status] { exit_status = export_runs(*options, global); });
}

}  // namespace headroom::cli
