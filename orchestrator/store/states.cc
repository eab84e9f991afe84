#include "orchestrator/store/states.h"

#include <algorithm>
#include <array>
#include <utility>

namespace headroom {
namespace {

template <typename State, size_t N>
using Spellings = std::array<std::pair<State, std::string_view>, N>;

constexpr Spellings<SweepState, 4> kSweepStates = {{
    {SweepState::registered, "registered"},
    {SweepState::running, "running"},
    {SweepState::finished, "finished"},
    {SweepState::interrupted, "interrupted"},
}};

constexpr Spellings<CellState, 6> kCellStates = {{
    {CellState::pending, "pending"},
    {CellState::running, "running"},
    {CellState::succeeded, "succeeded"},
    {CellState::failed, "failed"},
    {CellState::cancelled, "cancelled"},
    {CellState::stopped_early, "stopped early"},
}};

constexpr Spellings<RunState, 10> kRunStates = {{
    {RunState::starting, "starting"},
    {RunState::running, "running"},
    {RunState::succeeded, "succeeded"},
    {RunState::failed, "failed"},
    {RunState::diverged, "diverged"},
    {RunState::invalid, "invalid"},
    {RunState::lost, "lost"},
    {RunState::cancelled, "cancelled"},
    {RunState::timeout, "timeout"},
    {RunState::stopped_early, "stopped early"},
}};

template <typename State, size_t N>
std::string_view spelling(const Spellings<State, N>& table, State state) {
  for (const auto& [value, text] : table) {
    if (value == state) return text;
  }
  return "unknown";
}

template <typename State, size_t N>
std::optional<State> parse(const Spellings<State, N>& table, std::string_view text) {
  for (const auto& [value, name] : table) {
    if (name == text) return value;
  }
  return std::nullopt;
}

template <typename State, size_t N>
std::vector<State> values(const Spellings<State, N>& table) {
  std::vector<State> all;
  for (const auto& [value, text] : table) all.push_back(value);
  return all;
}

template <typename State>
std::string quoted_list(const std::vector<State>& states) {
  std::string list;
  for (State state : states) list += (list.empty() ? "'" : ", '") + std::string(to_string(state)) + "'";
  return list;
}

}  // namespace

std::string_view to_string(SweepState state) { return spelling(kSweepStates, state); }
std::string_view to_string(CellState state) { return spelling(kCellStates, state); }
std::string_view to_string(RunState state) { return spelling(kRunStates, state); }

std::optional<SweepState> parse_sweep_state(std::string_view text) { return parse(kSweepStates, text); }
std::optional<CellState> parse_cell_state(std::string_view text) { return parse(kCellStates, text); }
std::optional<RunState> parse_run_state(std::string_view text) { return parse(kRunStates, text); }

const std::vector<SweepState>& all_sweep_states() {
  static const std::vector<SweepState> all = values(kSweepStates);
  return all;
}
const std::vector<CellState>& all_cell_states() {
  static const std::vector<CellState> all = values(kCellStates);
  return all;
}
const std::vector<RunState>& all_run_states() {
  static const std::vector<RunState> all = values(kRunStates);
  return all;
}

const std::vector<RunState>& active_run_states() {
  static const std::vector<RunState> active = {RunState::starting, RunState::running};
  return active;
}

bool is_active(RunState state) {
  const auto& active = active_run_states();
  return std::find(active.begin(), active.end(), state) != active.end();
}

std::string sql_list(const std::vector<RunState>& states) { return quoted_list(states); }
std::string sql_list(const std::vector<CellState>& states) { return quoted_list(states); }

}  // namespace headroom
