#include "orchestrator/store/run_names.h"

#include <algorithm>
#include <cctype>

namespace headroom {
namespace {

constexpr int64_t kAmbiguityShown = 5;  // cells listed when a prefix matches several

std::optional<int64_t> as_run_id(const std::string& text) {
  if (text.empty() || text.size() > 18 || !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  const int64_t id = std::stoll(text);
  return id > 0 ? std::optional<int64_t>(id) : std::nullopt;
}

bool is_hex_prefix(const std::string& text) {
  return !text.empty() && text.size() <= 64 &&
         std::all_of(text.begin(), text.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

std::string sweep_name(Store& store, int64_t sweep_id) {
  auto sweep = store.sweep(sweep_id);
  return sweep ? sweep->name : "?";
}

Result<CellRecord> cell_by_prefix(Store& store, const std::string& text, std::string prefix,
                                  const std::optional<SweepRecord>& sweep) {
  // Hashes are stored in lower case; a prefix copied in upper case names the same cell.
  std::transform(prefix.begin(), prefix.end(), prefix.begin(), [](unsigned char c) { return char(std::tolower(c)); });
  const std::string where = sweep ? "sweep '" + sweep->name + "'" : "'" + store.path() + "'";
  const std::string how = "name a run by its id ('run' column of 'headroom runs'), a cell-hash prefix ('cell' column) "
                          "or SWEEP/CELL";
  if (!is_hex_prefix(prefix)) {
    return Error::invalid("'" + text + "' names no run or cell: " + how);
  }
  HEADROOM_ASSIGN_OR_RETURN(auto cells, store.cells_with_hash_prefix(
                                            prefix, sweep ? std::optional<int64_t>(sweep->id) : std::nullopt,
                                            kAmbiguityShown + 1));
  if (cells.empty()) return Error::invalid("no run or cell '" + text + "' in " + where + ": " + how);
  if (cells.size() > 1) {
    std::string listed;
    for (size_t i = 0; i < cells.size() && int64_t(i) < kAmbiguityShown; ++i) {
      listed += (i ? ", " : "") + sweep_name(store, cells[i].sweep_id) + "/" + cells[i].hash.substr(0, 12);
    }
    if (int64_t(cells.size()) > kAmbiguityShown) listed += ", ...";
    return Error::invalid("'" + text + "' is ambiguous: it begins the hashes of several cells (" + listed +
                          "): give more characters or SWEEP/CELL");
  }
  return cells.front();
}

}  // namespace

Result<CellRecord> find_cell(Store& store, const std::string& text, const std::optional<SweepRecord>& sweep) {
  if (const auto slash = text.rfind('/'); slash != std::string::npos) {
    HEADROOM_ASSIGN_OR_RETURN(auto named, store.find_sweep(text.substr(0, slash)));
    if (!named) return Error::invalid("'" + text + "': no sweep named '" + text.substr(0, slash) + "'");
    if (sweep && named->id != sweep->id) {
      return Error::invalid("'" + text + "' is a cell of sweep '" + named->name + "', not of '" + sweep->name + "'");
    }
    return cell_by_prefix(store, text, text.substr(slash + 1), named);
  }
  if (auto id = as_run_id(text)) {
    auto run = store.run(*id);
    if (run) {
      HEADROOM_ASSIGN_OR_RETURN(auto cell, store.cell(run->cell_id));
      if (sweep && cell.sweep_id != sweep->id) {
        return Error::invalid("run " + text + " belongs to sweep '" + sweep_name(store, cell.sweep_id) + "', not to '" +
                              sweep->name + "' (a cell whose hash is all digits: write SWEEP/CELL)");
      }
      return cell;
    }
  }
  return cell_by_prefix(store, text, text, sweep);
}

Result<RunRecord> find_run(Store& store, const std::string& text) {
  if (auto id = as_run_id(text); id && text.find('/') == std::string::npos) {
    if (auto run = store.run(*id)) return run;
  }
  HEADROOM_ASSIGN_OR_RETURN(auto cell, find_cell(store, text));
  HEADROOM_ASSIGN_OR_RETURN(auto runs, store.runs_of_cell(cell.id));
  if (runs.empty()) {
    return Error::invalid("cell " + sweep_name(store, cell.sweep_id) + "/" + cell.hash.substr(0, 12) +
                          " has not started yet (it is " + std::string(to_string(cell.state)) + ")");
  }
  return runs.back();
}

}  // namespace headroom
