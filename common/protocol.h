#pragma once
// The worker protocol: what a worker finds in its run folder, the events it
// appends to RUN/events.jsonl, how it ends. docs/events.md is its contract for
// any worker program; this header is that contract's one home in code. The
// trainer and the test worker write it, ingestion reads it, and the
// scheduler's lifecycle interprets end statuses and exit codes through it.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace headroom::protocol {

// The format version every event line carries as "v". Ingestion refuses a
// line of any other version and records why on the run.
inline constexpr int kVersion = 1;

// The run folder: the worker's whole world.
inline constexpr std::string_view kConfigFile = "config.json";    // written by the orchestrator
inline constexpr std::string_view kEventsFile = "events.jsonl";   // appended to by the worker
inline constexpr std::string_view kStdoutFile = "stdout.log";
inline constexpr std::string_view kStderrFile = "stderr.log";
inline constexpr std::string_view kCheckpointFolder = "checkpoint";
// A checkpoint the worker can resume from: RUN/checkpoint/state.pt.
inline constexpr std::string_view kCheckpointFile = "state.pt";
// Written by the orchestrator before it stops the worker by the
// sweep's early_terminate rule: the reason. A worker never reads it.
inline constexpr std::string_view kEarlyStopFile = "stopped-early.txt";
// Written by headroom-supervise, a program's parent, when the program ends:
// "exit N", "signal N" or "unstarted ERRNO" (orchestrator/executors/
// exit_status.h). A later orchestrator reads it when it was not there to see
// the exit itself. A worker never reads it; headroom-train has no supervisor.
inline constexpr std::string_view kExitStatusFile = "exit-status.txt";

enum class EventKind {
  start,       // once per process start: config, model size, device, versions
  metric,      // training metrics at a step
  eval,        // evaluation metrics at a step
  checkpoint,  // a checkpoint was written at a step
  end,         // how the worker ended: an EndStatus and, unless ok, an error
};

// Metric names: 1 to kMaxMetricNameBytes bytes without control characters
// (JSON has already made them valid UTF-8), and at most
// kMaxMetricNamesPerRun distinct names in one run. Ingestion refuses a line
// that breaks either rule and records why on the run: a worker that logs
// thousands of names cannot bloat the database or the tables made from it.
inline constexpr size_t kMaxMetricNameBytes = 200;
inline constexpr size_t kMaxMetricNamesPerRun = 1000;
// Why `name` is not a metric name; empty when it is one.
std::string metric_name_problem(std::string_view name);

enum class EndStatus {
  ok,              // trained every step; exit status 0
  failed,          // a runtime error; exit status 1
  invalid_config,  // a bad config field or unusable input; exit status 2
  diverged,        // the training loss became NaN or infinite; exit status 3
  preempted,       // stopped by SIGTERM after a checkpoint; exit status 4
};

std::string_view to_string(EventKind kind);
std::string_view to_string(EndStatus status);
// nullopt for a string that names no kind or status of this version.
std::optional<EventKind> parse_event_kind(std::string_view text);
std::optional<EndStatus> parse_end_status(std::string_view text);

// The process exit status a worker ends with for each end status.
int exit_code(EndStatus status);
// The end status an exit status stands for (a worker that could not write its
// end event still says with its exit status why it stopped); nullopt for
// statuses the protocol does not define.
std::optional<EndStatus> end_status_of_exit_code(int code);

}  // namespace headroom::protocol
