// Adaptive search (issue #20) through the real binaries: `method: bayes`
// on a program whose metric is a known function of its parameters
// (tests/workers/programs/objective.py), its proposals stored so that the
// same seed gives the same sequence and a kill -9 loses and repeats nothing,
// and W&B's hyperband stopping the runs it should while keeping their metrics.
#include <gtest/gtest.h>
#include <signal.h>

#include <boost/process.hpp>
#include <algorithm>
#include <chrono>
#include <filesystem>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "tests/support/test_support.h"

namespace headroom {
namespace {

namespace fs = std::filesystem;
namespace bp = boost::process;
using testing::TemporaryFolder;

const std::string kObjective = std::string(HEADROOM_SOURCE_DIR) + "/tests/workers/programs/objective.py";

// score(x, lr, kind) = 1 - (x - 0.3)^2 - (log10(lr) + 2)^2 / 4 - 0.2 [kind b]: objective.py.
std::string bayes_sweep(int run_cap, double epoch_delay = 0) {
  return "name: search\nprogram: " + kObjective +
         "\nmethod: bayes\nmetric: {name: score, goal: maximize}\nrun_cap: " + std::to_string(run_cap) +
         "\nrandom_seed: 7\nparameters:\n"
         "  x: {distribution: uniform, min: 0, max: 1}\n"
         "  lr: {distribution: log_uniform_values, min: 0.0001, max: 1}\n"
         "  kind: {values: [a, b]}\n"
         "  epochs: {value: 1}\n"
         "  epoch_delay: {value: " + std::to_string(epoch_delay) + "}\n";
}

class Search : public ::testing::Test {
 protected:
  testing::CommandResult headroom(std::vector<std::string> arguments, const std::string& db = "h.db") {
    arguments.insert(arguments.begin(), {testing::headroom_binary(), "--db", db});
    return testing::run_command(arguments, folder_.path());
  }

  nlohmann::json query(const std::string& sql, const std::string& db = "h.db") {
    auto result = headroom({"query", sql, "--json"}, db);
    EXPECT_EQ(result.exit_status, 0) << result.err;
    return nlohmann::json::parse(result.out, nullptr, false);
  }

  // The proposals in order: index, cell and values.
  nlohmann::json proposals(const std::string& db) {
    return query("SELECT idx, cell_id, parameters, excluded FROM proposals ORDER BY idx", db);
  }

  TemporaryFolder folder_;
};

TEST_F(Search, PlanShowsTheSpaceAndTheFirstProposals) {
  const std::string file = folder_.write("search.yaml", bayes_sweep(30));
  auto plan = headroom({"plan", file});
  ASSERT_EQ(plan.exit_status, 0) << plan.err;
  EXPECT_NE(plan.out.find("TPE after 10 random draws, maximize score, seed 7"), std::string::npos) << plan.out;
  EXPECT_NE(plan.out.find("30 trials (run_cap)"), std::string::npos) << plan.out;
  EXPECT_NE(plan.out.find("lr: log_uniform_values [0.0001, 1]"), std::string::npos) << plan.out;
  EXPECT_NE(plan.out.find("kind: categorical [\"a\", \"b\"]"), std::string::npos) << plan.out;
  EXPECT_NE(plan.out.find("its first 10 proposals"), std::string::npos) << plan.out;
  EXPECT_EQ(plan.out.find("random startup"), std::string::npos) << "30 trials leave the startup: " << plan.out;
  EXPECT_FALSE(fs::exists(folder_.path() / "h.db")) << "plan writes nothing";
  // With no more trials than TPE's random startup, the search never uses its results: plan says so.
  auto few = headroom({"plan", folder_.write("few.yaml", bayes_sweep(8))});
  ASSERT_EQ(few.exit_status, 0) << few.err;
  EXPECT_NE(few.out.find("8 trials never leave TPE's 10 random startup draws"), std::string::npos) << few.out;
}

// `tpe:` in the sweep file sets the sampler: with 3 startup draws the fourth
// proposal follows the results, where the default's is still a random draw
// (the first three are the same draws: a proposal is a function of the seed
// and its index).
TEST_F(Search, TheSweepFileChoosesTheSamplersStartupAndKind) {
  const std::string tuned =
      folder_.write("tuned.yaml", bayes_sweep(4) + "tpe: {startup_trials: 3, multivariate: false}\n");
  auto plan = headroom({"plan", tuned});
  ASSERT_EQ(plan.exit_status, 0) << plan.err;
  EXPECT_NE(plan.out.find("bayes: univariate TPE after 3 random draws"), std::string::npos) << plan.out;
  EXPECT_NE(plan.out.find("its first 3 proposals (random draws until 3 trials have finished"), std::string::npos)
      << "plan shows the startup draws only: " << plan.out;
  EXPECT_EQ(plan.out.find("random startup"), std::string::npos) << "4 trials leave 3 startup draws: " << plan.out;
  ASSERT_EQ(headroom({"run", tuned, "--quiet", "-j", "1"}, "tuned.db").exit_status, 0);
  ASSERT_EQ(headroom({"run", folder_.write("default.yaml", bayes_sweep(4)), "--quiet", "-j", "1"}, "default.db")
                .exit_status,
            0);
  auto with_options = query("SELECT idx, parameters, sampler FROM proposals ORDER BY idx", "tuned.db");
  auto with_defaults = query("SELECT idx, parameters, sampler FROM proposals ORDER BY idx", "default.db");
  ASSERT_EQ(with_options.size(), 4u);
  ASSERT_EQ(with_defaults.size(), 4u);
  for (int i = 0; i < 4; ++i) {
    auto sampler = nlohmann::json::parse(with_options[i]["sampler"].get<std::string>());
    EXPECT_EQ(sampler["startup_trials"], 3);
    EXPECT_EQ(sampler["multivariate"], false);
    EXPECT_EQ(nlohmann::json::parse(with_defaults[i]["sampler"].get<std::string>())["startup_trials"], 10);
    if (i < 3) {
      EXPECT_EQ(with_options[i]["parameters"], with_defaults[i]["parameters"]) << "startup draw " << i;
    }
  }
  EXPECT_NE(with_options[3]["parameters"], with_defaults[3]["parameters"]) << "TPE's first proposal";
}

TEST_F(Search, BayesConvergesOnAKnownObjective) {
  const std::string file = folder_.write("search.yaml", bayes_sweep(30));
  auto ran = headroom({"run", file, "--quiet", "-j", "1"});
  ASSERT_EQ(ran.exit_status, 0) << ran.out << ran.err;
  auto runs = nlohmann::json::parse(headroom({"runs", "search", "--json"}).out);
  ASSERT_EQ(runs.size(), 30u);
  double best_random = -1e9, best_tpe = -1e9, mean_random = 0, mean_tpe = 0;
  for (size_t i = 0; i < runs.size(); ++i) {
    ASSERT_EQ(runs[i]["state"], "succeeded") << runs[i].dump();
    const double x = runs[i]["x"].get<double>(), lr = runs[i]["lr"].get<double>();
    const double expected = (1 - (x - 0.3) * (x - 0.3) - std::pow(std::log10(lr) + 2, 2) / 4 -
                             (runs[i]["kind"] == "b" ? 0.2 : 0.0)) * 0.5;
    const double score = runs[i]["score"].get<double>();
    EXPECT_NEAR(score, expected, 1e-9) << "the proposal's values reached the program";
    EXPECT_GE(x, 0.0);
    EXPECT_LE(x, 1.0);
    EXPECT_GE(lr, 1e-4);
    EXPECT_LE(lr, 1.0);
    // Runs are listed in the order they were made: the first 10 are TPE's random startup.
    (i < 10 ? best_random : best_tpe) = std::max(i < 10 ? best_random : best_tpe, score);
    (i < 10 ? mean_random : mean_tpe) += score / (i < 10 ? 10.0 : 20.0);
  }
  // The model-based proposals concentrate where the score is high: better
  // on average than the random ones and close to the optimum (0.5 here).
  EXPECT_GT(mean_tpe, mean_random + 0.05) << "random " << mean_random << ", tpe " << mean_tpe;
  EXPECT_GT(best_tpe, 0.48) << "best after 30 trials";
  EXPECT_GE(best_tpe, best_random);
  auto stored = proposals("h.db");
  ASSERT_GE(stored.size(), 30u);
  EXPECT_EQ(query("SELECT count(DISTINCT cell_id) AS n FROM proposals")[0]["n"], 30);
}

// --count is the sweep's total, as run_cap is: asking for no more than the
// sweep has makes nothing, and says so (W&B's agent --count would run more).
TEST_F(Search, CountIsTheSweepsTotalAndACountAlreadyReachedSaysSo) {
  const std::string file = folder_.write("search.yaml", bayes_sweep(30));
  auto first = headroom({"run", file, "--count", "3", "-j", "1"});
  ASSERT_EQ(first.exit_status, 0) << first.err;
  EXPECT_EQ(first.err.find("cells already"), std::string::npos) << first.err;
  auto again = headroom({"run", file, "--count", "3", "-j", "1"});
  ASSERT_EQ(again.exit_status, 0) << again.err;
  EXPECT_NE(again.err.find("sweep 'search' has 3 cells already and --count 3 is its total, not a number more: it "
                           "makes no new cell (--count 6 would make 3 more)"),
            std::string::npos)
      << again.err;
  EXPECT_EQ(nlohmann::json::parse(headroom({"runs", "search", "--json"}).out).size(), 3u);
  auto more = headroom({"run", file, "--count", "5", "-j", "1"});
  ASSERT_EQ(more.exit_status, 0) << more.err;
  EXPECT_EQ(more.err.find("cells already"), std::string::npos) << more.err;
  EXPECT_EQ(nlohmann::json::parse(headroom({"runs", "search", "--json"}).out).size(), 5u);
}

// The search's state is its proposals: with one worker and the same seed a
// search makes the same sequence, and one whose orchestrator is killed -9
// mid-way and resumed makes that same sequence too: none lost, none repeated.
TEST_F(Search, AKilledSearchResumesWithTheSameProposalsAsOneNeverKilled) {
  const std::string file = folder_.write("search.yaml", bayes_sweep(14, 0.3));
  auto whole = headroom({"run", file, "--quiet", "-j", "1"}, "whole.db");
  ASSERT_EQ(whole.exit_status, 0) << whole.err;

  bp::child orchestrator(testing::headroom_binary(), std::vector<std::string>{"--db", "killed.db", "run", file, "--quiet", "-j", "1"},
                         bp::start_dir = folder_.path().string(), bp::std_out > bp::null, bp::std_err > bp::null);
  bool far_enough = false;
  for (int i = 0; i < 600 && !far_enough; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    if (!fs::exists(folder_.path() / "killed.db")) continue;
    auto made = headroom({"query", "SELECT count(*) AS n FROM proposals", "--json"}, "killed.db");
    far_enough = made.exit_status == 0 && nlohmann::json::parse(made.out, nullptr, false)[0].value("n", 0) >= 6;
  }
  ASSERT_TRUE(far_enough) << "the search never made 6 proposals";
  ::kill(orchestrator.id(), SIGKILL);
  orchestrator.wait();
  auto resumed = headroom({"resume", "search", "--quiet", "-j", "1"}, "killed.db");
  ASSERT_EQ(resumed.exit_status, 0) << resumed.err;

  const auto a = proposals("whole.db"), b = proposals("killed.db");
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i]["idx"], int(i));
    EXPECT_EQ(a[i]["parameters"], b[i]["parameters"]) << "proposal " << i;
  }
  // Each cell succeeded once: the killed worker was adopted, not started again.
  // A kill between recording an attempt and starting its worker leaves one
  // attempt 'lost', which the design reruns; nothing else may run twice.
  auto attempts = query("SELECT count(DISTINCT cell_id) AS cells, sum(state = 'succeeded') AS succeeded, "
                        "sum(state NOT IN ('succeeded', 'lost')) AS other, sum(state = 'lost') AS lost FROM runs",
                        "killed.db");
  EXPECT_EQ(attempts[0]["cells"], 14);
  EXPECT_EQ(attempts[0]["succeeded"], 14);
  EXPECT_EQ(attempts[0]["other"], 0);
  EXPECT_LE(attempts[0]["lost"], 1);
}

// W&B's hyperband with min_iter 1 and eta 3 judges a run at its second value
// of the metric (then the 4th, the 10th, ...): with one worker and the best
// cell first, every later run is behind it there and is stopped early.
TEST_F(Search, HyperbandStopsTheRunsBehindAndKeepsTheirMetrics) {
  const std::string file =
      folder_.write("hb.yaml", "name: hb\nprogram: " + kObjective +
                                   "\nmethod: grid\nmetric: {name: score, goal: maximize}\n"
                                   "early_terminate: {type: hyperband, min_iter: 1, eta: 3}\n"
                                   "parameters:\n  x: {values: [0.3, 0.6, 0.9]}\n  lr: {value: 0.01}\n"
                                   "  epochs: {value: 40}\n  epoch_delay: {value: 0.1}\n");
  auto plan = headroom({"plan", file});
  ASSERT_EQ(plan.exit_status, 0) << plan.err;
  EXPECT_NE(plan.out.find("hyperband judges each run at its 1, 3, 9, 27"), std::string::npos) << plan.out;
  auto ran = headroom({"run", file, "-j", "1"});
  ASSERT_EQ(ran.exit_status, 0) << ran.out << ran.err;
  EXPECT_NE(ran.out.find("1 succeeded, 2 stopped early, 0 failed"), std::string::npos) << ran.out;
  auto runs = nlohmann::json::parse(headroom({"runs", "hb", "--json"}).out);
  ASSERT_EQ(runs.size(), 3u);
  for (const auto& run : runs) {
    const bool best = run["x"] == 0.3;
    EXPECT_EQ(run["state"], best ? "succeeded" : "stopped early") << run.dump();
    if (!best) {
      // Its metric stays: at least the two values it was judged on.
      auto points = query("SELECT count(*) AS n FROM metrics WHERE run_id = " + std::to_string(run["run"].get<int>()));
      EXPECT_GE(points[0]["n"].get<int>(), 2);
      EXPECT_LT(points[0]["n"].get<int>(), 40) << "stopped before its end";
      auto shown = nlohmann::json::parse(headroom({"show", std::to_string(run["run"].get<int>()), "--json"}).out);
      EXPECT_NE(shown.dump().find("stopped early by hyperband"), std::string::npos) << shown.dump();
    }
  }
  auto status = headroom({"status", "hb"});
  EXPECT_NE(status.out.find("2 stopped early"), std::string::npos) << status.out;
  auto filtered = headroom({"runs", "hb", "--where", "state = 'stopped early'", "--json"});
  ASSERT_EQ(filtered.exit_status, 0) << filtered.err;
  EXPECT_EQ(nlohmann::json::parse(filtered.out).size(), 2u);
  // Done: a resume runs nothing again.
  auto resumed = headroom({"resume", "hb", "--quiet"});
  EXPECT_EQ(resumed.exit_status, 0) << resumed.err;
  EXPECT_EQ(query("SELECT count(*) AS n FROM runs")[0]["n"], 3);
}

// A search inside each grid cell with the economical protocol: each kind
// tunes x and lr with 12 bayes trials on the first seed, then its best
// trial's settings run on the two other seeds.
TEST_F(Search, EachGridCellTunesItsOwnSearchThenReplicatesTheBestOverSeeds) {
  const std::string file = folder_.write(
      "nested.yaml", "name: nested\nprogram: " + kObjective +
                         "\nmethod: grid\nmetric: {name: score, goal: maximize}\nseeds: [1, 2, 3]\n"
                         "parameters:\n  kind: {values: [a, b]}\n  epochs: {value: 1}\n"
                         "search:\n  method: bayes\n  run_cap: 12\n  replicate: true\n  parameters:\n"
                         "    x: {distribution: uniform, min: 0, max: 1}\n"
                         "    lr: {distribution: log_uniform_values, min: 0.0001, max: 1}\n");
  auto plan = headroom({"plan", file});
  ASSERT_EQ(plan.exit_status, 0) << plan.err;
  EXPECT_NE(plan.out.find("grid of 2 cells, each tuning x, lr with a bayes search of 12 trials ("), std::string::npos)
      << plan.out;
  EXPECT_NE(plan.out.find("TPE after 10 random draws) by maximize score; tuned on its first seed, then its best trial "
                          "on 2 more): 24 trials + 4 replicates"),
            std::string::npos)
      << plan.out;
  auto ran = headroom({"run", file, "--quiet", "-j", "2"});
  ASSERT_EQ(ran.exit_status, 0) << ran.out << ran.err;
  auto cells = query("SELECT c.search_group AS grp, c.search_role AS role, c.parameters AS p, c.state AS state, "
                     "s.last_value AS score FROM cells c JOIN runs r ON r.cell_id = c.id "
                     "JOIN summaries s ON s.run_id = r.id AND s.name = 'score' ORDER BY c.id");
  ASSERT_EQ(cells.size(), 28u) << cells.dump();
  std::map<std::string, nlohmann::json> best;  // group -> its best trial
  std::map<std::string, std::vector<nlohmann::json>> replicates;
  std::map<std::string, int> trials;
  for (const auto& cell : cells) {
    EXPECT_EQ(cell["state"], "succeeded") << cell.dump();
    const auto parameters = nlohmann::json::parse(cell["p"].get<std::string>());
    const std::string group = cell["grp"];
    if (cell["role"] == "trial") {
      ++trials[group];
      EXPECT_EQ(parameters["seed"], 1) << "tuned on the first seed";
      if (!best.count(group) || cell["score"].get<double>() > best[group]["score"].get<double>()) best[group] = cell;
    } else {
      EXPECT_EQ(cell["role"], "replicate");
      replicates[group].push_back(parameters);
    }
  }
  ASSERT_EQ(trials.size(), 2u);
  for (const auto& [group, count] : trials) {
    EXPECT_EQ(count, 12) << group;
    const auto chosen = nlohmann::json::parse(best[group]["p"].get<std::string>());
    EXPECT_GT(best[group]["score"].get<double>(), 0.25) << "each kind's search finds a good setting";
    ASSERT_EQ(replicates[group].size(), 2u) << group;
    std::set<int> seeds;
    for (const auto& replicate : replicates[group]) {
      EXPECT_EQ(replicate["x"], chosen["x"]);
      EXPECT_EQ(replicate["lr"], chosen["lr"]);
      EXPECT_EQ(replicate["kind"], chosen["kind"]);
      seeds.insert(replicate["seed"].get<int>());
    }
    EXPECT_EQ(seeds, (std::set<int>{2, 3}));
  }
}

// The report of a searched sweep of the real trainer: each outer cell is its
// search's best trial, chosen on validation and reported on the test split
// the choice never saw, with the protocol said in words.
TEST_F(Search, TheReportOfASearchedSweepShowsTheChosenTrialsOnTheTestSplit) {
  const std::string corpus = testing::write_small_corpus(folder_);
  const std::string file = folder_.write(
      "tuned.yaml", "name: tuned\nmethod: grid\nmetric: {name: eval/accuracy, goal: maximize}\nseeds: [0, 1]\n"
                    "base:\n  corpus: " + corpus +
                        "\n  d_model: 16\n  layers: 1\n  seq_len: 16\n  batch_size: 8\n  steps: 30\n"
                        "  eval_every: 15\n  log_every: 10\n  eval_batches: 1\n  eval_batch_size: 16\n"
                        "  precision: fp32\n  test_split: true\nparameters:\n  heads: {values: [1, 4]}\n"
                        "search:\n  method: random\n  run_cap: 3\n  replicate: true\n  parameters:\n"
                        "    lr: {distribution: log_uniform_values, min: 0.0003, max: 0.01}\n");
  auto ran = headroom({"run", file, "--quiet", "-j", "2", "--trainer", testing::trainer_binary()});
  ASSERT_EQ(ran.exit_status, 0) << ran.out << ran.err;
  EXPECT_EQ(query("SELECT count(*) AS n FROM runs WHERE state = 'succeeded'")[0]["n"], 8);
  auto report = headroom({"report", "tuned", "--out", "report"});
  ASSERT_EQ(report.exit_status, 0) << report.err;
  const std::string text = testing::read_file(folder_.path() / "report" / "report.md");
  EXPECT_NE(text.find("Each configuration is the best trial of its own random search over `lr` (3 trials per search), "
                      "chosen on `eval/accuracy` (validation); tuned on seed 0, then the chosen setting ran untuned "
                      "on seed 1. The numbers below are `test/accuracy` on the held-out test split, which the choice "
                      "never saw. 4 other trials are not shown."),
            std::string::npos)
      << text;
  // Its compute is the whole search's, not only the shown runs': 6 trials and 2 replicates.
  EXPECT_NE(text.find(" of run time in all, over its 8 runs (trials and replicates)."), std::string::npos) << text;
  const std::string configurations = testing::read_file(folder_.path() / "report" / "tuned-configurations.csv");
  EXPECT_EQ(std::count(configurations.begin(), configurations.end(), '\n'), 3) << configurations
      << "a header and one row per outer cell (heads 1 and 4), each over 2 seeds";
  // What each search chose is in its row: the best trial's lr, as the database has it.
  EXPECT_EQ(configurations.substr(0, configurations.find('\n')).find("heads,head_size,chosen_lr,seeds,"), 0u)
      << configurations;
  for (int heads : {1, 4}) {
    const auto chosen = query("SELECT json_extract(config, '$.lr') AS lr FROM cells WHERE search_role = 'replicate' "
                              "AND json_extract(config, '$.heads') = " + std::to_string(heads));
    ASSERT_EQ(chosen.size(), 1u) << heads;
    std::ostringstream row;
    row << "\n" << heads << ",";
    const auto at = configurations.find(row.str());
    ASSERT_NE(at, std::string::npos) << configurations;
    const std::string line = configurations.substr(at + 1, configurations.find('\n', at + 1) - at - 1);
    std::vector<std::string> fields;
    std::stringstream split(line);
    for (std::string field; std::getline(split, field, ',');) fields.push_back(field);
    ASSERT_GE(fields.size(), 3u) << line;
    EXPECT_DOUBLE_EQ(std::stod(fields[2]), chosen[0]["lr"].get<double>()) << line;
  }
  EXPECT_NE(text.find("| heads | head_size | chosen lr | seeds |"), std::string::npos) << text;
}

}  // namespace
}  // namespace headroom
