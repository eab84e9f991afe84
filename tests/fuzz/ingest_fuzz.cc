// Fuzz target: event ingestion (ingest/ingest.h). Each input is a worker's
// events.jsonl, ingested for a fresh attempt in a real database first while
// the worker "runs" (in two passes, split where the first byte says), then
// once it has ended; whatever it holds, ingestion stores events or refuses
// lines, and the database stays consistent.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "orchestrator/grid/grid.h"
#include "orchestrator/ingest/ingest.h"
#include "orchestrator/spec/sweep_spec.h"
#include "orchestrator/store/store.h"

namespace {

namespace fs = std::filesystem;

struct Fixture {
  fs::path folder;
  std::unique_ptr<headroom::Store> store;
  headroom::SweepRecord sweep;
  headroom::CellRecord cell;
};

// The folder goes when the process exits; the fixture itself is never
// destroyed (the store may be in use by static destructors' time).
struct RemoveAtExit {
  fs::path folder;
  ~RemoveAtExit() {
    std::error_code ignored;
    fs::remove_all(folder, ignored);
  }
};

Fixture& fixture() {
  static RemoveAtExit cleanup{fs::temp_directory_path() / ("headroom-ingest-fuzz-" + std::to_string(::getpid()))};
  static Fixture* made = [] {
    auto* f = new Fixture;
    f->folder = cleanup.folder;
    fs::remove_all(f->folder);
    fs::create_directories(f->folder);
    f->store = std::move(headroom::Store::open_for_writing((f->folder / "h.db").string())).value();
    auto spec = headroom::parse_sweep("parameters:\n  heads: {values: [1]}\n", "s.yaml");
    auto expansion = headroom::expand(spec.value());
    f->sweep = f->store->register_sweep(spec.value(), expansion.value(), f->folder.string(), false).value();
    f->cell = f->store->cells(f->sweep.id)->front();
    return f;
  }();
  return *made;
}

void check(const headroom::Status& status) {
  if (!status.ok()) {
    std::fprintf(stderr, "ingestion failed: %s\n", status.error().to_string().c_str());
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Fixture& f = fixture();
  auto run = f.store->begin_attempt(f.sweep, f.cell);
  if (!run) std::abort();
  fs::create_directories(run->run_dir);
  const fs::path events = fs::path(run->run_dir) / "events.jsonl";
  const size_t split = size > 0 ? std::min<size_t>(data[0], size) : 0;
  auto write = [&](size_t from, size_t to) {
    std::ofstream(events, std::ios::binary | std::ios::app).write(reinterpret_cast<const char*>(data) + from,
                                                                   std::streamsize(to - from));
  };
  write(0, split);
  auto first = headroom::ingest_run(*f.store, run->id);
  check(first.ok() ? headroom::Status(headroom::Ok{}) : headroom::Status(first.error()));
  write(split, size);
  auto second = headroom::ingest_run(*f.store, run->id, headroom::WorkerEnded::yes);
  check(second.ok() ? headroom::Status(headroom::Ok{}) : headroom::Status(second.error()));
  // Every byte is accounted for once the worker has ended.
  auto stored = f.store->run(run->id);
  if (!stored || stored->events_offset != int64_t(size)) std::abort();
  // The attempt ends like any other, and its folder goes.
  check(f.store->finish_run(run->id, [](const headroom::CellHistory&) {
    headroom::AttemptOutcome outcome;
    outcome.end.state = headroom::RunState::failed;
    outcome.cell = headroom::CellState::pending;
    return outcome;
  }));
  fs::remove_all(run->run_dir);
  return 0;
}
