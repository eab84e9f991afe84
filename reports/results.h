#pragma once
// A sweep's results as a report sees them: cells that differ only in their
// seed pooled into one configuration, with each seed's final metrics.
// Reads the database only.
//
// A sweep with a search inside each grid cell (docs/sweeps.md) is reported
// by its outer cells: each search's best succeeded trial on the sweep's
// metric (the validation split) stands for its outer cell and seed, with the
// replicates of the chosen setting on the other seeds; the other trials are
// counted, not pooled. Its configurations say how they were chosen.

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/result.h"
#include "orchestrator/store/store.h"

namespace headroom {

// One succeeded run: the replicate of one seed.
struct Replicate {
  int64_t run_id = 0;
  std::string cell_hash;
  int64_t seed = 0;
  std::map<std::string, double> finals;  // metric -> last logged value
  double seconds = 0;                    // wall time of the run
  double started_at = 0, ended_at = 0;   // Unix seconds
  std::string device, precision, host;
};

// How a configuration of a searched sweep was chosen.
struct Selection {
  int64_t trials = 0;                           // trials its search ran (per tuned seed)
  std::map<int64_t, nlohmann::json> chosen;     // tuned seed -> the searched settings chosen
  std::vector<int64_t> replicated_on;           // seeds that ran the chosen setting untuned
};

// Cells equal in everything but their seed.
struct Configuration {
  nlohmann::json config;      // the resolved trainer config without its seed
  nlohmann::json parameters;  // the swept values without the seed
  int64_t parameter_count = 0;
  int64_t non_embedding_parameters = 0;
  double flops_per_token = 0;
  std::vector<Replicate> replicates;  // by seed
  std::optional<Selection> selection;  // for a searched sweep: its best trials and replicates

  // The replicates' final values of `metric` (those that logged it), and the
  // same by seed.
  std::vector<double> finals(const std::string& metric) const;
  std::map<int64_t, double> finals_by_seed(const std::string& metric) const;
  // Its runs' eval/accuracy is, on average, within 0.005 of the accuracy of
  // always predicting the most frequent character (eval/unigram_accuracy,
  // where the runs logged it): it learned nothing beyond character frequencies.
  bool at_unigram_baseline() const;
  // A config value as a number or text; empty when absent or another type.
  std::optional<double> number(const std::string& key) const;
  std::string text(const std::string& key) const;
};

struct SweepResults {
  SweepRecord sweep;
  std::vector<Configuration> configurations;  // in grid order of their first cell
  std::vector<std::string> swept;             // swept parameter names, seed excluded
  std::map<std::string, int64_t> cell_states; // state -> cells
  int64_t succeeded_runs = 0;
  // A search inside each grid cell: its method and the settings it tunes
  // (configurations are then keyed without them), and the metric it chose by.
  std::string search_method;
  std::vector<std::string> searched;
  std::string selected_on;
  int64_t unchosen_trials = 0;  // trials that were not their search's best
  // A searched sweep's every run that started (trials of any end, replicates,
  // retried attempts): what its shown numbers cost, which the chosen trials'
  // own runs understate.
  struct RunSpan {
    int64_t runs = 0;
    int64_t lost = 0;  // of them: vanished, so recorded as ended only when the orchestrator noticed
    double first_start = 0, last_end = 0;  // unix seconds
    double seconds = 0;                    // summed over the runs that ended, lost ones left out
  };
  std::optional<RunSpan> search_runs;
};

// Loads a sweep's cells and their succeeded runs. Configurations without a
// succeeded run are kept (their replicates empty) so tables can show them.
Result<SweepResults> load_sweep_results(Store& store, const SweepRecord& sweep);

// Mean over replicates of a metric's curve at the steps every replicate
// logged: (step, mean, standard deviation) rows.
struct CurvePoint {
  int64_t step = 0;
  double mean = 0;
  double standard_deviation = 0;
};
Result<std::vector<CurvePoint>> mean_curve(Store& store, const Configuration& configuration,
                                           const std::string& metric);

}  // namespace headroom
