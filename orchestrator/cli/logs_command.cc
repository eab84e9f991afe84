// headroom logs RUN [-f]: the worker's output (its stdout to stdout, its
// stderr to stderr), followed live with -f until the run ends.
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <thread>

#include "common/protocol.h"
#include "orchestrator/cli/commands.h"

namespace headroom::cli {
namespace {

namespace fs = std::filesystem;

struct LogsOptions {
  std::string run;
  bool follow = false;
  bool events = false;
  double poll_seconds = 0.5;
};

// Copies what `path` gained since `offset` to `out`, up to the last complete
// line (a half-written line waits for the next pass); returns the new offset.
size_t copy_new_bytes(const fs::path& path, size_t offset, std::FILE* out, bool partial_lines) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return offset;
  in.seekg(0, std::ios::end);
  const size_t size = size_t(in.tellg());
  if (size <= offset) return offset;
  in.seekg(std::streamoff(offset));
  std::string chunk(size - offset, '\0');
  in.read(chunk.data(), std::streamsize(chunk.size()));
  chunk.resize(size_t(in.gcount()));
  size_t end = partial_lines ? chunk.size() : chunk.rfind('\n');
  if (end == std::string::npos) return offset;
  if (!partial_lines) ++end;
  std::fwrite(chunk.data(), 1, end, out);
  std::fflush(out);
  return offset + end;
}

int logs(const LogsOptions& options, const GlobalOptions& global) {
  auto store = Store::open_read_only(global.database);
  if (!store) return report_error(store.error());
  auto run = find_run(*store.value(), options.run);
  if (!run) return report_error(run.error());
  const fs::path dir = run->run_dir;
  struct Stream {
    fs::path path;
    std::FILE* out;
    size_t offset = 0;
  };
  std::vector<Stream> streams;
  if (options.events) {
    streams.push_back({dir / protocol::kEventsFile, stdout});
  } else {
    streams.push_back({dir / protocol::kStdoutFile, stdout});
    streams.push_back({dir / protocol::kStderrFile, stderr});
  }
  if (!options.follow) {
    bool any = false;
    for (auto& stream : streams) {
      any = any || fs::exists(stream.path);
      stream.offset = copy_new_bytes(stream.path, 0, stream.out, true);
    }
    if (!any) {
      return report_error(Error::invalid("run " + options.run + " has no output in '" + dir.string() +
                                         "' (not started yet, or its folder was removed)"));
    }
    return 0;
  }
  while (true) {
    // Read the state before the files: output written before the run ended is then never missed.
    auto current = store.value()->run(run->id);
    if (!current) return report_error(current.error());
    const bool ended = !is_active(current->state);
    for (auto& stream : streams) stream.offset = copy_new_bytes(stream.path, stream.offset, stream.out, ended);
    if (ended) {
      std::fprintf(stderr, "headroom: run %lld ended: %s\n", static_cast<long long>(run->id),
                   std::string(to_string(current->state)).c_str());
      return 0;
    }
    std::this_thread::sleep_for(std::chrono::duration<double>(options.poll_seconds));
  }
}

}  // namespace

void add_logs_command(CLI::App& app, const GlobalOptions& global, int& exit_status) {
  auto options = std::make_shared<LogsOptions>();
  auto* command = app.add_subcommand("logs", "Print a run's output; -f follows it until the run ends");
  command->add_option("run", options->run, kRunNameHelp)->required();
  command->add_flag("-f,--follow", options->follow, "keep printing new output until the run ends");
  command->add_flag("--events", options->events, "print the run's events.jsonl instead");
  command->callback([options, &global, &exit_status] { exit_status = logs(*options, global); });
}

}  // namespace headroom::cli
