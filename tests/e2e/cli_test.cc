// The CLI a newcomer expects (issue #18), through the real binaries: global
// options anywhere, one output convention, one way to name a run, every
// setting visible, refusals of what makes no sense, and help that lists the
// trainer's settings.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <sstream>

#include <nlohmann/json.hpp>

#include "tests/support/test_support.h"
#include "trainer/config.h"

namespace headroom {
namespace {

namespace fs = std::filesystem;
using testing::TemporaryFolder;

class Cli : public ::testing::Test {
 protected:
  testing::CommandResult headroom(std::vector<std::string> arguments,
                                  const std::map<std::string, std::string>& environment = {}) {
    arguments.insert(arguments.begin(), testing::headroom_binary());
    return testing::run_command(arguments, folder_.path(), environment);
  }

  // A finished sweep `name` of the test worker: heads 1 and 2, seeds 0 and 1.
  void run_sweep(const std::string& name, const std::vector<std::string>& extra = {},
                 const std::map<std::string, std::string>& environment = {}) {
    const std::string file = folder_.write(name + ".yaml", "name: " + name +
                                                               "\nbase: {steps: 5, d_model: 32}\n"
                                                               "parameters:\n  heads: {values: [1, 2]}\n"
                                                               "  seed: {values: [0, 1]}\n");
    std::vector<std::string> arguments = {"run", file, "--trainer", testing::test_worker_binary(), "--quiet"};
    arguments.insert(arguments.end(), extra.begin(), extra.end());
    auto ran = headroom(arguments, environment);
    ASSERT_EQ(ran.exit_status, 0) << ran.err;
  }

  TemporaryFolder folder_;
};

TEST_F(Cli, GlobalOptionsGoBeforeOrAfterTheCommandOrComeFromTheEnvironment) {
  run_sweep("first", {"--db", "elsewhere.db"});
  EXPECT_TRUE(fs::exists(folder_.path() / "elsewhere.db"));
  EXPECT_FALSE(fs::exists(folder_.path() / "headroom.db"));
  for (const auto& arguments : std::vector<std::vector<std::string>>{{"--db", "elsewhere.db", "status", "first"},
                                                                      {"status", "--db", "elsewhere.db", "first"},
                                                                      {"status", "first", "--db", "elsewhere.db"}}) {
    auto status = headroom(arguments);
    EXPECT_EQ(status.exit_status, 0) << status.err;
    EXPECT_NE(status.out.find("first: finished"), std::string::npos) << status.out;
  }
  auto from_environment = headroom({"runs", "first", "--json"}, {{"HEADROOM_DB", "elsewhere.db"}});
  ASSERT_EQ(from_environment.exit_status, 0) << from_environment.err;
  EXPECT_EQ(nlohmann::json::parse(from_environment.out).size(), 4u);
  // The command line wins over the environment.
  auto overridden = headroom({"status", "first", "--db", "elsewhere.db"}, {{"HEADROOM_DB", "missing.db"}});
  EXPECT_EQ(overridden.exit_status, 0) << overridden.err;

  auto version = headroom({"--version"});
  EXPECT_EQ(version.exit_status, 0);
  EXPECT_EQ(version.out.rfind("headroom 0.", 0), 0u) << version.out;
  EXPECT_NE(version.out.find("(commit "), std::string::npos) << version.out;

  auto help = headroom({"help"});
  EXPECT_EQ(help.exit_status, 0);
  EXPECT_NE(help.out.find("Usage: headroom [OPTIONS] SUBCOMMAND"), std::string::npos) << help.out;
  auto runs_help = headroom({"help", "runs"});
  EXPECT_NE(runs_help.out.find("Usage: headroom runs"), std::string::npos) << runs_help.out;
  auto nested = headroom({"help", "db", "check"});
  EXPECT_NE(nested.out.find("Usage: headroom db check"), std::string::npos) << nested.out;
  auto unknown = headroom({"help", "nope"});
  EXPECT_EQ(unknown.exit_status, 2);
  EXPECT_NE(unknown.err.find("'nope' is not a command"), std::string::npos) << unknown.err;
  // Usage lines name `headroom`, never the binary's path.
  auto flag_help = headroom({"show", "--help"});
  EXPECT_NE(flag_help.out.find("Usage: headroom show"), std::string::npos) << flag_help.out;
  EXPECT_EQ(flag_help.out.find(testing::headroom_binary()), std::string::npos);
}

TEST_F(Cli, EveryCommandThatPrintsDataTakesFormatAndJson) {
  run_sweep("s");
  const std::string plan_file = (folder_.path() / "s.yaml").string();
  const std::vector<std::vector<std::string>> commands = {
      {"plan", plan_file, "--trainer", testing::test_worker_binary()},
      {"status", "s"},
      {"show", "1"},
      {"runs", "s"},
      {"query", "SELECT id FROM runs"},
      {"export", "s"},
      {"db", "check"}};
  for (const auto& command : commands) {
    auto as_json = command;
    as_json.push_back("--json");
    auto printed = headroom(as_json);
    ASSERT_EQ(printed.exit_status, 0) << command[0] << ": " << printed.err;
    EXPECT_FALSE(nlohmann::json::parse(printed.out, nullptr, false).is_discarded()) << command[0] << ": " << printed.out;

    auto unknown = command;
    unknown.insert(unknown.end(), {"--format", "xml"});
    auto refused = headroom(unknown);
    EXPECT_EQ(refused.exit_status, 2) << command[0];
    EXPECT_NE(refused.err.find("--format: xml not in"), std::string::npos) << command[0] << ": " << refused.err;

    auto both = command;
    both.insert(both.end(), {"--json", "-f", "csv"});
    EXPECT_EQ(headroom(both).exit_status, 2) << command[0];
  }
  // JSON lines where a table is printed: one object a line.
  auto lines = headroom({"runs", "s", "-f", "jsonl"});
  ASSERT_EQ(lines.exit_status, 0) << lines.err;
  std::istringstream in(lines.out);
  int count = 0;
  for (std::string line; std::getline(in, line); ++count) EXPECT_TRUE(nlohmann::json::parse(line).is_object()) << line;
  EXPECT_EQ(count, 4);
  // run --json: progress and the summary as JSON lines.
  const std::string again = folder_.write("again.yaml", "name: again\nbase: {steps: 5}\nparameters:\n  seed: {values: [7]}\n");
  auto run = headroom({"run", again, "--trainer", testing::test_worker_binary(), "--json"});
  ASSERT_EQ(run.exit_status, 0) << run.err;
  EXPECT_NE(run.out.find("\"event\":\"summary\""), std::string::npos) << run.out;
}

TEST_F(Cli, ARunIsNamedByItsIdACellPrefixOrSweepSlashCell) {
  run_sweep("one");
  run_sweep("two");  // the same four cells: the same hashes in both sweeps
  auto cells = headroom({"runs", "one", "-c", "run,cell", "-f", "csv", "--sort", "run"});
  ASSERT_EQ(cells.exit_status, 0) << cells.err;
  // The first run of sweep one: "1,<12 hex>".
  const std::string first_cell = cells.out.substr(cells.out.find("\n1,") + 3, 12);

  auto by_id = headroom({"show", "1", "--json"});
  ASSERT_EQ(by_id.exit_status, 0) << by_id.err;
  auto by_sweep_cell = headroom({"show", "one/" + first_cell.substr(0, 6), "--json"});
  ASSERT_EQ(by_sweep_cell.exit_status, 0) << by_sweep_cell.err;
  EXPECT_EQ(nlohmann::json::parse(by_sweep_cell.out)["run"], nlohmann::json::parse(by_id.out)["run"]);

  // The bare prefix matches the cell in both sweeps: ambiguous, with the way out.
  auto ambiguous = headroom({"show", first_cell});
  EXPECT_EQ(ambiguous.exit_status, 2);
  EXPECT_NE(ambiguous.err.find("is ambiguous"), std::string::npos) << ambiguous.err;
  EXPECT_NE(ambiguous.err.find("one/" + first_cell), std::string::npos) << ambiguous.err;
  EXPECT_NE(ambiguous.err.find("two/" + first_cell), std::string::npos) << ambiguous.err;
  EXPECT_NE(ambiguous.err.find("SWEEP/CELL"), std::string::npos) << ambiguous.err;
  // Within one sweep a prefix is unique again: logs, note and tag take it too.
  EXPECT_EQ(headroom({"logs", "two/" + first_cell}).exit_status, 0);
  EXPECT_EQ(headroom({"tag", "two/" + first_cell, "checked"}).exit_status, 0);
  auto tagged = headroom({"runs", "two", "-w", "tags = 'checked'", "-c", "cell", "-f", "csv"});
  EXPECT_NE(tagged.out.find(first_cell), std::string::npos) << tagged.out;

  auto nothing = headroom({"show", "zzz"});
  EXPECT_EQ(nothing.exit_status, 2);
  EXPECT_NE(nothing.err.find("names no run or cell"), std::string::npos) << nothing.err;
  auto no_sweep = headroom({"show", "three/" + first_cell});
  EXPECT_EQ(no_sweep.exit_status, 2);
  EXPECT_NE(no_sweep.err.find("no sweep named 'three'"), std::string::npos) << no_sweep.err;
}

TEST_F(Cli, TheModelsParameterCountIsNotCalledParameters) {
  run_sweep("s");
  auto count = headroom({"runs", "s", "-c", "run,parameter_count", "-f", "json"});
  ASSERT_EQ(count.exit_status, 0) << count.err;
  EXPECT_GT(nlohmann::json::parse(count.out)[0]["parameter_count"].get<int64_t>(), 1000);
  // `parameters` stays the swept values (show, the cells table).
  auto shown = headroom({"show", "1", "--json"});
  EXPECT_EQ(nlohmann::json::parse(shown.out)["parameters"]["heads"], 1) << shown.out;
}

TEST_F(Cli, AReportAxisOrSeriesMustVary) {
  run_sweep("s");
  auto flat = headroom({"report", "s", "--x", "lr", "-o", "report"});
  EXPECT_EQ(flat.exit_status, 2);
  EXPECT_NE(flat.err.find("--x lr: 'lr' has one value in every configuration of sweep 's', so it cannot be an axis"),
            std::string::npos)
      << flat.err;
  EXPECT_NE(flat.err.find("what varies: "), std::string::npos) << flat.err;
  EXPECT_NE(flat.err.find("heads"), std::string::npos) << flat.err;
  EXPECT_FALSE(fs::exists(folder_.path() / "report"));
  EXPECT_EQ(headroom({"report", "s", "--x", "heads", "-o", "report"}).exit_status, 0);
  // --curve names a cell as every command does: here by a run id.
  auto curve = headroom({"report", "s", "--curve", "2", "-o", "curve"});
  EXPECT_EQ(curve.exit_status, 0) << curve.err;
  auto no_such = headroom({"report", "s", "--curve", "s/zz", "-o", "none"});
  EXPECT_EQ(no_such.exit_status, 2);
  EXPECT_NE(no_such.err.find("names no run or cell"), std::string::npos) << no_such.err;
}

TEST_F(Cli, TheProgressBarShowsFailedCellsApartFromSucceededOnes) {
  const std::string file = folder_.write("f.yaml", "name: f\nbase: {steps: 5}\nparameters:\n  seed: {values: [0, 1]}\n");
  auto ran = headroom({"run", file, "--trainer", testing::test_worker_binary(), "--quiet"},
                      {{"HEADROOM_TEST_WORKER", "0=crash,1=crash"}});
  EXPECT_EQ(ran.exit_status, 1);
  // Every cell ended, none succeeded: the bar is all x, not "full".
  auto status = headroom({"status", "f"});
  EXPECT_NE(status.out.find("[xxxxxxxxxxxxxxxxxxxx] 2/2 cells: 0 succeeded, 2 failed"), std::string::npos) << status.out;
  // headroom run's own progress lines draw the same bar.
  auto progress = headroom({"run", file, "--trainer", testing::test_worker_binary(), "--retry-failed"},
                           {{"HEADROOM_TEST_WORKER", "0=crash,1=ok"}});
  EXPECT_NE(progress.err.find("f: [##########xxxxxxxxxx] 2/2 cells: 1 succeeded, 1 failed"), std::string::npos)
      << progress.err;
}

TEST_F(Cli, TheTrainersHelpListsEverySettingWithItsDefault) {
  auto help = testing::run_command({testing::trainer_binary(), "--help"}, folder_.path());
  ASSERT_EQ(help.exit_status, 0) << help.err;
  for (const auto& key : trainer::config_keys()) {
    EXPECT_NE(help.out.find("\n  " + key + " "), std::string::npos) << key << " is missing from --help";
  }
  EXPECT_NE(help.out.find("sequence length n in characters [32]"), std::string::npos) << help.out;
}

// What bash offers after `line` (a trailing space: a new word), with the
// script `headroom completion bash` printed loaded, run in `folder`.
std::string completions(const TemporaryFolder& folder, const std::string& line) {
  const std::string script = testing::run_command({testing::headroom_binary(), "completion", "bash"}, folder.path()).out;
  folder.write("completion.bash", script);
  const std::string bin = std::filesystem::path(testing::headroom_binary()).parent_path().string();
  auto result = testing::run_command(
      {"/bin/bash", "-c",
       "PATH=" + bin + ":$PATH; source completion.bash; read -ra COMP_WORDS <<< \"$1\"; "
       "[[ \"$1\" == *' ' ]] && COMP_WORDS+=(''); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); _headroom; "
       "(( ${#COMPREPLY[@]} )) && printf '%s\\n' \"${COMPREPLY[@]}\" | sort | tr '\\n' ' '",
       "_", line},
      folder.path());
  return result.out;
}

TEST_F(Cli, BashCompletesCommandsOptionsAndSweepNames) {
  run_sweep("alpha");
  run_sweep("beta", {"--db", "other.db"});
  folder_.write("next.yaml", "parameters: {}\n");
  EXPECT_EQ(completions(folder_, "headroom ru"), "run runs ");
  EXPECT_EQ(completions(folder_, "headroom runs --wh"), "--where ");
  EXPECT_EQ(completions(folder_, "headroom db "), "check export migrate ");
  EXPECT_NE(completions(folder_, "headroom help "), "");
  EXPECT_EQ(completions(folder_, "headroom status al"), "alpha ");
  EXPECT_EQ(completions(folder_, "headroom status --db other.db b"), "beta ");
  EXPECT_EQ(completions(folder_, "headroom plan ne"), "next.yaml ");
  // A database that cannot be read offers no sweeps and prints no error.
  EXPECT_EQ(completions(folder_, "headroom status --db missing.db a"), "");
}

}  // namespace
}  // namespace headroom
