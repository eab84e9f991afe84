// headroom-bench-db: builds a large results database through the real
// ingestion path and times the questions users ask of it. Run by
// `scripts/bench db`; not a test (timings on a shared machine are noisy).
//
// Default size: 2,000 runs x 2,000 steps x 5 metrics = 20 million points.
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "common/table.h"
#include "orchestrator/grid/grid.h"
#include "orchestrator/ingest/ingest.h"
#include "orchestrator/query/run_query.h"
#include "orchestrator/spec/sweep_spec.h"
#include "orchestrator/store/sqlite.h"
#include "orchestrator/store/store.h"
#include "tests/support/test_support.h"

namespace headroom {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

template <typename T>
T check(Result<T> result, const char* what) {
  if (!result.ok()) {
    std::fprintf(stderr, "%s: %s\n", what, result.error().to_string().c_str());
    std::exit(1);
  }
  return std::move(result).value();
}

// Median wall time of `repeats` calls, in milliseconds.
double median_ms(int repeats, const std::function<void()>& body) {
  std::vector<double> times;
  for (int i = 0; i < repeats; ++i) {
    auto start = Clock::now();
    body();
    times.push_back(seconds_since(start) * 1000);
  }
  std::sort(times.begin(), times.end());
  return times[times.size() / 2];
}

struct Options {
  int runs = 2000;
  int steps = 2000;
  std::string folder = "/tmp/headroom-bench-db";
  int repeats = 7;
};

// A sweep of `runs` cells: d_model x heads x attention x seed.
std::string sweep_yaml(int runs) {
  int seeds = std::max(1, runs / 40);
  std::string seed_list;
  for (int i = 0; i < seeds; ++i) seed_list += (i ? ", " : "") + std::to_string(i);
  return "name: bench\nmetric: {name: eval/accuracy, goal: maximize}\n"
         "base: {task: mlm, layers: 2, seq_len: 32, steps: 2000}\n"
         "parameters:\n"
         "  d_model: {values: [64, 128, 256, 512]}\n"
         "  heads: {values: [1, 2, 4, 8, 16]}\n"
         "  attention:\n    values: [standard, fixed]\n    overrides:\n      fixed: {head_size: 32}\n"
         "  seed: {values: [" + seed_list + "]}\n";
}

int run(const Options& options) {
  fs::remove_all(options.folder);
  fs::create_directories(options.folder);
  const std::string path = options.folder + "/bench.db";
  auto store = check(Store::open_for_writing(path), "open");
  auto spec = check(parse_sweep(sweep_yaml(options.runs), "bench.yaml"), "spec");
  auto expansion = check(expand(spec), "expand");
  auto sweep = check(store->register_sweep(spec, expansion, options.folder + "/runs", false), "register");
  auto cells = check(store->cells(sweep.id), "cells");
  if (int(cells.size()) > options.runs) cells.resize(size_t(options.runs));

  // Ingestion through the orchestrator's own path: each run's events.jsonl is
  // written as a worker would, then ingest_run parses it and stores the
  // points and summaries in one transaction.
  const char* names[] = {"train/loss", "train/lr", "train/grad_norm", "train/tokens_per_s", "eval/accuracy"};
  int64_t points = 0;
  double ingest_seconds = 0;
  auto build_start = Clock::now();
  for (size_t i = 0; i < cells.size(); ++i) {
    auto attempt = check(store->begin_attempt(sweep, cells[i]), "attempt");
    fs::create_directories(attempt.run_dir);
    {
      std::ofstream events(fs::path(attempt.run_dir) / "events.jsonl", std::ios::binary);
      for (int step = 1; step <= options.steps; ++step) {
        double x = double(step) / options.steps;
        nlohmann::json values = nlohmann::json::object();
        values[names[0]] = 4.0 - 2.0 * x + 0.001 * double(i % 97);
        values[names[1]] = 1e-3 * (1 - x);
        values[names[2]] = 0.5 + 0.1 * x;
        values[names[3]] = 30000.0 + double(i);
        values[names[4]] = 0.1 + 0.3 * x + 0.0001 * double(i % 1000);
        events << nlohmann::json{{"event", "metric"}, {"step", step}, {"time", 1.7e9 + step}, {"values", values}}.dump()
               << "\n";
      }
    }
    auto start = Clock::now();
    check(ingest_run(*store, attempt.id), "ingest");
    ingest_seconds += seconds_since(start);
    fs::remove_all(attempt.run_dir);  // 20 M points of JSON would fill a small disk
    check(store->finish_run(attempt.id,
                            [](const CellHistory&) {
                              return AttemptOutcome{RunEnd{RunState::succeeded, 0, std::nullopt, std::nullopt},
                                                    CellState::succeeded};
                            }),
          "finish");
    points += int64_t(options.steps) * 5;
  }
  const double build_seconds = seconds_since(build_start);
  store.reset();
  {
    // Fold the WAL into the file so its size is the database's.
    sqlite::Connection writer(path, sqlite::Connection::Mode::read_write_create);
    writer.execute("PRAGMA wal_checkpoint(TRUNCATE)");
  }
  const double megabytes = double(fs::file_size(path)) / 1e6;

  auto reader = check(Store::open_read_only(path), "read-only open");
  RunQuery where;
  where.sweeps = {"bench"};
  where.where = "d_model >= 128 and heads in (8, 16) and attention = 'fixed'";
  where.sort = {"-eval/accuracy"};
  size_t where_rows = 0;
  double where_ms = median_ms(options.repeats, [&] { where_rows = check(query_runs(*reader, where), "where").rows.size(); });
  RunQuery report;
  report.sweeps = {"bench"};
  size_t report_rows = 0;
  double report_ms = median_ms(options.repeats, [&] { report_rows = check(query_runs(*reader, report), "report").rows.size(); });
  int64_t middle_run = int64_t(cells.size() / 2) + 1;
  size_t curve_points = 0;
  double curve_ms = median_ms(options.repeats, [&] {
    curve_points = check(reader->curve(middle_run, "train/loss"), "curve").size();
  });
  size_t all_points = 0;
  double curves_ms = median_ms(options.repeats, [&] {
    all_points = 0;
    for (const auto& [name, curve] : check(reader->curves(middle_run), "curves")) all_points += curve.size();
  });
  // The same filter through the real CLI: process start, schema check and printing included.
  double cli_ms = median_ms(options.repeats, [&] {
    auto result = testing::run_command({testing::headroom_binary(), "--db", path, "runs", "bench", "--where",
                                        where.where, "--sort", "-eval/accuracy", "--format", "csv"},
                                       options.folder);
    if (result.exit_status != 0) {
      std::fprintf(stderr, "headroom runs failed: %s\n", result.err.c_str());
      std::exit(1);
    }
  });

  Table table;
  table.columns = {"measurement", "value", "target"};
  auto row = [&](const std::string& what, const std::string& value, const std::string& target) {
    table.rows.push_back({what, value, target});
  };
  char text[128];
  std::snprintf(text, sizeof(text), "%d runs x %d steps x 5 metrics = %.1f M points", int(cells.size()),
                options.steps, double(points) / 1e6);
  row("database", text, "");
  std::snprintf(text, sizeof(text), "%.0f points/s (%.1f s ingesting; %.1f s with writing the files)",
                double(points) / ingest_seconds, ingest_seconds, build_seconds);
  row("ingestion (ingest_run: read, parse, store)", text, ">= 200,000 points/s");
  std::snprintf(text, sizeof(text), "%.1f MB (%.1f MB per million points)", megabytes, megabytes * 1e6 / double(points));
  row("file size", text, "");
  std::snprintf(text, sizeof(text), "%.1f ms (%zu rows)", where_ms, where_rows);
  row("runs --where ... --sort -eval/accuracy (library)", text, "< 200 ms");
  std::snprintf(text, sizeof(text), "%.1f ms", cli_ms);
  row("the same through the headroom CLI (whole process)", text, "< 200 ms");
  std::snprintf(text, sizeof(text), "%.1f ms (%zu rows, every parameter and final metric)", report_ms, report_rows);
  row("a report's run summaries", text, "< 200 ms");
  std::snprintf(text, sizeof(text), "%.2f ms (%zu points)", curve_ms, curve_points);
  row("one run's train/loss curve", text, "< 50 ms");
  std::snprintf(text, sizeof(text), "%.2f ms (%zu points)", curves_ms, all_points);
  row("one run's every curve", text, "< 50 ms");
  std::fputs(check(format_table(table, "markdown"), "format").c_str(), stdout);
  std::printf("\nmedians of %d repeats; database at %s\n", options.repeats, path.c_str());
  return 0;
}

}  // namespace
}  // namespace headroom

int main(int argc, char** argv) {
  CLI::App app{"headroom-bench-db: the results database at scale"};
  headroom::Options options;
  app.add_option("--runs", options.runs, "runs (cells)")->capture_default_str();
  app.add_option("--steps", options.steps, "logged steps per run (5 metrics each)")->capture_default_str();
  app.add_option("--folder", options.folder, "scratch folder (emptied first)")->capture_default_str();
  app.add_option("--repeats", options.repeats, "timings are medians of this many")->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  return headroom::run(options);
}
