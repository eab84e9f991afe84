// headroom show RUN: one run's parameters, attempts, final metrics, notes and paths.
#include <cstdio>
#include <ctime>
#include <filesystem>

#include "common/protocol.h"
#include "orchestrator/cli/commands.h"
#include "orchestrator/query/run_details.h"
#include "common/table.h"
#include "common/number_format.h"
#include "common/text_file.h"

namespace headroom::cli {
namespace {

namespace fs = std::filesystem;

struct ShowOptions {
  std::string run;
  std::string format = "text";
};

std::string utc_time(std::optional<double> seconds) {
  if (!seconds) return "-";
  std::time_t time = std::time_t(*seconds);
  char text[32];
  std::strftime(text, sizeof(text), "%Y-%m-%d %H:%M:%S UTC", std::gmtime(&time));
  return text;
}

std::string indent(const std::string& text, const std::string& prefix) {
  std::string out = prefix;
  for (char c : text) {
    out += c;
    if (c == '\n') out += prefix;
  }
  while (!out.empty() && (out.back() == ' ')) out.pop_back();
  if (!out.empty() && out.back() != '\n') out += '\n';
  return out;
}

std::string text_of(const nlohmann::ordered_json& run) {
  auto str = [](const nlohmann::json& value) {
    return value.is_string() ? value.get<std::string>() : value.is_null() ? std::string("-") : json_text(value);
  };
  std::string out;
  auto line = [&](const std::string& label, const std::string& value) {
    std::string padded = label;
    padded.resize(12, ' ');
    out += padded + value + "\n";
  };
  out += "run " + str(run["run"]) + " of sweep '" + str(run["sweep"]) + "', cell " + str(run["cell"]) +
         ", attempt " + str(run["attempt"]) + " of " + str(run["attempts_of_cell"]) + "\n";
  std::string state = str(run["state"]);
  if (!run["exit_code"].is_null()) state += " (exit " + str(run["exit_code"]) + ")";
  if (!run["signal"].is_null()) state += " (signal " + str(run["signal"]) + ")";
  line("state", state);
  std::string started = utc_time(run["started_at"].is_null() ? std::nullopt
                                                              : std::optional<double>(run["started_at"].get<double>()));
  if (!run["started_at"].is_null() && !run["ended_at"].is_null()) {
    started += ", took " + compact_duration(run["ended_at"].get<double>() - run["started_at"].get<double>());
  }
  line("started", started);
  line("host", str(run["host"]) + (str(run["device"]).empty() ? "" : ", device " + str(run["device"])));
  std::string parameters;
  for (const auto& [name, value] : run["parameters"].items()) {
    parameters += (parameters.empty() ? "" : " ") + name + "=" + str(value);
  }
  line("parameters", parameters);
  if (run.contains("program")) {
    std::string command;
    for (const auto& word : run["program"]["command"]) command += (command.empty() ? "" : " ") + str(word);
    line("program", str(run["program"]["path"]) + " (" + command + ")");
  } else {
    line("size", "head_size " + str(run["head_size"]) + ", " + str(run["parameter_count"]) + " parameters (" +
                     str(run["non_embedding_parameters"]) + " non-embedding), " + str(run["flops_per_token"]) +
                     " training FLOPs/token");
  }
  if (!run["tags"].empty()) {
    std::string tags;
    for (const auto& tag : run["tags"]) tags += (tags.empty() ? "" : ", ") + str(tag);
    line("tags", tags);
  }
  if (!run["error"].is_null()) out += "error\n" + indent(str(run["error"]), "  ");
  if (run["rejected_event_lines"].get<int64_t>() > 0) {
    line("events", str(run["rejected_event_lines"]) + " line(s) of " + std::string(protocol::kEventsFile) +
                       " refused (docs/events.md); the first: " + str(run["event_problem"]));
  }
  Table metrics;
  metrics.columns = {"metric", "step", "last", "min", "max"};
  for (const auto& [name, summary] : run["final_metrics"].items()) {
    metrics.rows.push_back({name, summary["step"], summary["last"], summary["min"], summary["max"]});
  }
  if (!metrics.rows.empty()) out += "final metrics\n" + indent(format_table(metrics, "table").value(), "  ");
  Table attempts;
  attempts.columns = {"run", "attempt", "state", "exit", "error"};
  for (const auto& attempt : run["attempts"]) {
    std::string error = str(attempt["error"]);
    attempts.rows.push_back({attempt["run"], attempt["attempt"], attempt["state"], attempt["exit_code"],
                             error.substr(0, error.find('\n'))});
  }
  out += "attempts of this cell\n" + indent(format_table(attempts, "table").value(), "  ");
  if (!run["notes"].empty()) {
    out += "notes\n";
    for (const auto& note : run["notes"]) {
      out += "  " + utc_time(note["time"].get<double>()) + "  " + str(note["text"]) + "\n";
    }
  }
  out += "paths\n";
  for (const auto& [name, path] : run["paths"].items()) {
    std::string padded = name;
    padded.resize(12, ' ');
    std::string text = str(path);
    out += "  " + padded + text + (fs::exists(text) ? "" : "  (absent)") + "\n";
  }
  return out;
}

int show(const ShowOptions& options, const GlobalOptions& global) {
  auto store = Store::open_read_only(global.database);
  if (!store) return report_error(store.error());
  auto run = find_run(*store.value(), options.run);
  if (!run) return report_error(run.error());
  auto description = run_details(*store.value(), run.value());
  if (!description) return report_error(description.error());
  if (options.format == "json") {
    std::printf("%s\n", json_text(description.value(), 2).c_str());
  } else {
    // The error and refused-line problem quote a worker's output: escape it.
    std::fputs(printable(text_of(description.value())).c_str(), stdout);
  }
  return 0;
}

}  // namespace

void add_show_command(CLI::App& app, const GlobalOptions& global, int& exit_status) {
  auto options = std::make_shared<ShowOptions>();
  auto* command = app.add_subcommand("show", "Show one run: parameters, attempts, final metrics, notes and paths");
  command->add_option("run", options->run, kRunNameHelp)->required();
  add_format_options(*command, options->format, {"text", "json"});
  command->callback([options, &global, &exit_status] { exit_status = show(*options, global); });
}

}  // namespace headroom::cli
