#pragma once
// The cells of a `method: bayes` sweep, made while it runs: whenever the
// scheduler has a free slot and no pending cell, it asks for one more, and
// the sweep's TPE sampler (search/tpe.h) proposes it from every trial so far.
// The sampler decides from the history it is given; this file reads that
// history from the store and records what it proposed, so it lives with the
// scheduler that asks it.
//
// The search's whole state is its proposals in the database (proposals
// table, schema/009_search.sql): the sampler is a pure function of its
// settings, the sweep's random_seed, the proposal's index and the trials, so
// a resumed or restarted search continues at the next index, and one worker
// with the same seed and a deterministic objective makes the same sequence.
// Each proposal records the sampler's settings (sampler_json()); a search
// that has proposals continues with the `startup_trials` and `multivariate`
// its first one recorded (`multivariate` absent: false, as older binaries
// sampled univariately), whatever this binary's defaults, except for a
// setting its sweep file's `tpe:` chooses.
//
// Trials: each proposal that made a cell, in order, with its parameters; a
// pending or running cell is a running trial (the constant liar spreads
// parallel proposals), a succeeded or stopped-early cell a finished one
// valued by the sweep metric's last value (a stopped run is a finished,
// worse trial), a failed or cancelled one has no value. A proposal whose
// point the constraints exclude or whose config is invalid is recorded with
// the reason and makes no cell; one that repeats a cell of the sweep is
// recorded against that cell (its trial counts again; nothing runs twice).

#include <cstdint>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/result.h"
#include "orchestrator/grid/grid.h"
#include "orchestrator/search/tpe.h"
#include "orchestrator/spec/sweep_spec.h"
#include "orchestrator/store/store.h"

namespace headroom {

// Proposals in a row that make no new cell before the search gives up: its
// space is exhausted, or its constraints rule out what it keeps proposing.
inline constexpr int kFruitlessProposalsBeforeGivingUp = 100;

// How many proposals `headroom plan` shows at most (and `run` checks before
// it starts): only startup draws, which are random whatever the results.
inline constexpr int kPlannedProposals = 10;

// What asking a search for its next cell did.
enum class SearchStep {
  added,  // a new pending cell is in the sweep
  wait,   // nothing now: running trials must end first (ask again when a cell ends)
  over,   // the search makes no more cells
};

// A trial whose cell has not ended yet (pending or running): what the
// constant liar counts as running, and what a search waits for before it
// replicates.
bool trial_running(const SearchTrial& trial);

// The settings a fresh search with these `tpe:` choices starts with:
// TpeSettings' defaults but for what the sweep file chooses
// (spec/sweep_spec.h, SamplerOptions).
TpeSettings sampler_settings(const std::optional<SamplerOptions>& options);

class BayesSearch {
 public:
  // `search_group`: "" for a bayes sweep; for the search inside a grid cell
  // (nested_search.h), the outer cell's hash, which its proposals and cells
  // carry. `random_only`: every proposal a random draw (a random search).
  explicit BayesSearch(const SweepSpec& spec, std::string search_group = "", bool random_only = false);

  // Adds the search's next new cell to the sweep (pending), recording every
  // proposal it took: added, or over once run_cap cells are made (none set:
  // never) or kFruitlessProposalsBeforeGivingUp proposals in a row made no
  // new cell.
  Result<SearchStep> add_cell(Store& store, const SweepRecord& sweep);

  // The first `count` proposals of a fresh search, at most its startup
  // draws (later ones depend on results), as cells and the excluded ones:
  // what plan shows.
  Expansion first_proposals(int count) const;

  // The sampler and its settings as a fresh search stores them with each
  // proposal (a resumed one: with what its first proposal recorded for the
  // settings its sweep file does not choose).
  nlohmann::json sampler_json() const;

 private:
  SweepSpec spec_;
  std::string search_group_;
  bool random_only_;
  TpeSampler sampler_;
};

}  // namespace headroom
