// workers/cpp/headroom/worker.h against its contract (the comment at its top)
// and the worker protocol (docs/events.md): the lines it writes, read back
// with nlohmann::json; the config accessors; inactivity outside Headroom;
// ending and exit codes; SIGTERM.

#include "headroom/worker.h"

#include <gtest/gtest.h>
#include <pthread.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include <algorithm>
#include <cfloat>
#include <chrono>
#include <csignal>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

namespace {

namespace fs = std::filesystem;
using headroom_worker::ConfigError;
// Not "Run": a gtest fixture inherits testing::Test::Run.
using WorkerRun = headroom_worker::Run;
using headroom_worker::Status;
using nlohmann::json;

constexpr const char* kVariables[] = {"HEADROOM_RUN_DIR",  "HEADROOM_EVENTS", "HEADROOM_CONFIG",
                                      "HEADROOM_CHECKPOINT_DIR", "HEADROOM_RESUME", "HEADROOM_RUN_ID",
                                      "HEADROOM_SWEEP",    "HEADROOM_CELL",   "HEADROOM_ATTEMPT"};

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

void write_text(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
}

std::set<std::string> keys(const json& object) {
  std::set<std::string> names;
  for (const auto& item : object.items()) names.insert(item.key());
  return names;
}

// Each test in its own folder, with no HEADROOM_ variable but those it sets.
class WorkerHeader : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* name : kVariables) ::unsetenv(name);
    std::string pattern = (fs::temp_directory_path() / "headroom-worker-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    previous_cwd_ = fs::current_path();
    fs::current_path(dir_);  // so that a stray relative write would show
  }
  void TearDown() override {
    for (const char* name : kVariables) ::unsetenv(name);
    fs::current_path(previous_cwd_);
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
  }

  // The environment Headroom gives an attempt, with `config` as config.json.
  void enter_headroom(const std::string& config = R"({"lr": 0.01})", bool resume = false) {
    run_dir_ = dir_ / "run";
    fs::create_directories(run_dir_);
    write_text(run_dir_ / "config.json", config);
    ::setenv("HEADROOM_RUN_DIR", run_dir_.c_str(), 1);
    ::setenv("HEADROOM_EVENTS", (run_dir_ / "events.jsonl").c_str(), 1);
    ::setenv("HEADROOM_CONFIG", (run_dir_ / "config.json").c_str(), 1);
    ::setenv("HEADROOM_CHECKPOINT_DIR", (run_dir_ / "checkpoint").c_str(), 1);
    ::setenv("HEADROOM_RESUME", resume ? "1" : "0", 1);
    ::setenv("HEADROOM_RUN_ID", "7", 1);
    ::setenv("HEADROOM_SWEEP", "demo", 1);
    ::setenv("HEADROOM_CELL", "abc123", 1);
    ::setenv("HEADROOM_ATTEMPT", "1", 1);
  }

  std::string events_text() const { return read_text(run_dir_ / "events.jsonl"); }

  // Every line of the events file, each checked to be whole (newline-ended,
  // no other newline) and to parse strictly (nlohmann rejects NaN, invalid
  // UTF-8, lone surrogates) to an object with v 1, a known event and a time.
  std::vector<json> events() const {
    const std::string text = events_text();
    EXPECT_TRUE(text.empty() || text.back() == '\n') << text;
    std::vector<json> lines;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
      json event;
      try {
        event = json::parse(line);
      } catch (const json::exception& e) {
        ADD_FAILURE() << "not JSON: " << line << ": " << e.what();
        continue;
      }
      EXPECT_TRUE(event.is_object()) << line;
      EXPECT_TRUE(event["v"].is_number_integer()) << line;
      EXPECT_EQ(event["v"], 1) << line;
      EXPECT_TRUE(event["time"].is_number()) << line;
      const std::set<std::string> kinds = {"start", "metric", "eval", "checkpoint", "end"};
      EXPECT_TRUE(event["event"].is_string() && kinds.count(event["event"].get<std::string>())) << line;
      lines.push_back(std::move(event));
    }
    return lines;
  }

  // The events other than start.
  std::vector<json> events_after_start() const {
    auto all = events();
    EXPECT_FALSE(all.empty());
    if (all.empty()) return all;
    EXPECT_EQ(all.front()["event"], "start");
    all.erase(all.begin());
    return all;
  }

  fs::path dir_, run_dir_, previous_cwd_;
};

// --- outside Headroom --------------------------------------------------------

TEST_F(WorkerHeader, InactiveOutsideHeadroomWritesNothing) {
  WorkerRun run;
  EXPECT_FALSE(run.active());
  EXPECT_FALSE(run.resuming());
  EXPECT_EQ(run.checkpoint_dir(), "");
  EXPECT_EQ(run.config_json(), "");
  EXPECT_EQ(run.number("lr", 0.5), 0.5);
  EXPECT_EQ(run.integer("layers", 3), 3);
  EXPECT_EQ(run.text("optimizer", "adam"), "adam");
  EXPECT_TRUE(run.boolean("flag", true));
  run.start(4);
  run.log(1, {{"train/loss", 1.0}});
  run.log(2, std::map<std::string, double>{{"a", 1}});
  run.eval(2, {{"eval/loss", 2.0}});
  run.checkpoint(2);
  run.end(Status::failed, "no");
  EXPECT_TRUE(fs::is_empty(dir_));
}

TEST_F(WorkerHeader, FinishOutsideHeadroomStillExitsWithTheStatusCode) {
  WorkerRun run;
  EXPECT_EXIT(run.finish(Status::invalid_config, "bad"), ::testing::ExitedWithCode(2), "");
  EXPECT_EXIT(run.finish(), ::testing::ExitedWithCode(0), "");
  EXPECT_TRUE(fs::is_empty(dir_));
}

TEST_F(WorkerHeader, RunDirAloneNamesEventsConfigAndCheckpoints) {
  run_dir_ = dir_ / "run";
  fs::create_directories(run_dir_);
  write_text(run_dir_ / "config.json", R"({"seed": 9})");
  ::setenv("HEADROOM_RUN_DIR", run_dir_.c_str(), 1);
  WorkerRun run;
  EXPECT_TRUE(run.active());
  EXPECT_EQ(run.integer("seed", 0), 9);
  EXPECT_EQ(run.checkpoint_dir(), (run_dir_ / "checkpoint").string());
  run.log(1, {{"x", 1.0}});
  ASSERT_EQ(events().size(), 2u);
}

TEST_F(WorkerHeader, EventsWithoutAConfigGiveFallbacksAndAnEmptyConfig) {
  run_dir_ = dir_;
  ::setenv("HEADROOM_EVENTS", (dir_ / "events.jsonl").c_str(), 1);
  WorkerRun run;
  EXPECT_TRUE(run.active());
  EXPECT_EQ(run.number("lr", 0.25), 0.25);
  run.start();
  auto lines = events();
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0]["config"], json::object());
}

// --- the lines -----------------------------------------------------------------

TEST_F(WorkerHeader, StartAndMetricLinesHaveExactlyTheProtocolFields) {
  const std::string config = "{\n  \"lr\": 0.01,\n  \"layers\": 2,\n  \"name\": \"a  b\\n\",\n"
                             "  \"optimizer\": {\"kind\": \"adam\", \"betas\": [0.9, 0.999]}\n}\n";
  enter_headroom(config);
  const double before = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  WorkerRun run;
  ASSERT_TRUE(run.active());
  EXPECT_EQ(run.config_json(), config);
  run.log(3, {{"train/loss", 0.5}, {"train/lr", 0.01}});
  const double after = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();

  const std::string text = events_text();
  auto lines = events();
  ASSERT_EQ(lines.size(), 2u) << text;
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 2) << "the config is embedded on one line";
  const json& start = lines[0];
  EXPECT_EQ(keys(start), (std::set<std::string>{"v", "event", "time", "config", "resumed_from_step"}));
  EXPECT_EQ(start["event"], "start");
  EXPECT_EQ(start["config"], json::parse(config));
  EXPECT_EQ(start["resumed_from_step"], 0);
  EXPECT_GE(start["time"].get<double>(), before - 1e-3);
  EXPECT_LE(start["time"].get<double>(), after + 1e-3);

  const json& metric = lines[1];
  EXPECT_EQ(keys(metric), (std::set<std::string>{"v", "event", "time", "step", "values"}));
  EXPECT_EQ(metric["event"], "metric");
  EXPECT_TRUE(metric["step"].is_number_integer());
  EXPECT_EQ(metric["step"], 3);
  EXPECT_EQ(metric["values"], (json{{"train/loss", 0.5}, {"train/lr", 0.01}}));
  EXPECT_LE(start["time"].get<double>(), metric["time"].get<double>());
  // The fields come in a fixed order: v, event, time first.
  EXPECT_NE(text.find("{\"v\":1,\"event\":\"metric\",\"time\":"), std::string::npos) << text;
}

TEST_F(WorkerHeader, StartIsWrittenOnceWithTheResumedStep) {
  enter_headroom("{}", /*resume=*/true);
  WorkerRun run;
  EXPECT_TRUE(run.resuming());
  run.start(40);
  run.start(41);
  run.log(41, {{"train/loss", 1.0}});
  auto lines = events();
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0]["event"], "start");
  EXPECT_EQ(lines[0]["resumed_from_step"], 40);
  EXPECT_EQ(lines[1]["event"], "metric");
}

TEST_F(WorkerHeader, EvalAndCheckpointLines) {
  enter_headroom();
  WorkerRun run;
  run.eval(10, {{"eval/loss", 1.25}, {"eval/accuracy", 0.5}});
  run.checkpoint(10);
  auto lines = events_after_start();
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(keys(lines[0]), (std::set<std::string>{"v", "event", "time", "step", "values"}));
  EXPECT_EQ(lines[0]["event"], "eval");
  EXPECT_EQ(lines[0]["step"], 10);
  EXPECT_EQ(lines[0]["values"], (json{{"eval/loss", 1.25}, {"eval/accuracy", 0.5}}));
  EXPECT_EQ(keys(lines[1]), (std::set<std::string>{"v", "event", "time", "step"}));
  EXPECT_EQ(lines[1]["event"], "checkpoint");
  EXPECT_EQ(lines[1]["step"], 10);
}

TEST_F(WorkerHeader, ValuesFromMapsVectorsAndOtherRanges) {
  enter_headroom();
  WorkerRun run;
  run.log(1, std::map<std::string, double>{{"a", 1.5}, {"b", 2}});
  run.log(2, std::vector<std::pair<std::string, double>>{{"c", 3}});
  run.eval(3, std::unordered_map<std::string, float>{{"d", 0.25f}});
  run.log(4, std::vector<std::pair<const char*, int>>{{"e", 7}});
  run.log(5, {});
  auto lines = events_after_start();
  ASSERT_EQ(lines.size(), 5u);
  EXPECT_EQ(lines[0]["values"], (json{{"a", 1.5}, {"b", 2.0}}));
  EXPECT_EQ(lines[1]["values"], (json{{"c", 3.0}}));
  EXPECT_EQ(lines[2]["event"], "eval");
  EXPECT_EQ(lines[2]["values"], (json{{"d", 0.25}}));
  EXPECT_EQ(lines[3]["values"], (json{{"e", 7.0}}));
  EXPECT_EQ(lines[4]["values"], json::object());
}

TEST_F(WorkerHeader, NonFiniteValuesAreNullAndFiniteOnesReadBackExactly) {
  enter_headroom();
  WorkerRun run;
  const std::vector<double> finite = {0.1,     1.0 / 3,  -0.0,     1e-310, DBL_MIN, DBL_MAX, -DBL_MAX,
                                      1e21,    123456789012345678.0, 2.5e-5, 1.0,     -7.0,    0.30000000000000004};
  std::vector<std::pair<std::string, double>> values;
  for (size_t i = 0; i < finite.size(); ++i) values.emplace_back("f" + std::to_string(i), finite[i]);
  values.emplace_back("nan", std::nan(""));
  values.emplace_back("inf", std::numeric_limits<double>::infinity());
  values.emplace_back("-inf", -std::numeric_limits<double>::infinity());
  run.log(0, values);
  const std::string text = events_text();
  EXPECT_EQ(text.find("NaN"), std::string::npos);
  EXPECT_EQ(text.find("nan"), text.find("\"nan\"") + 1);  // only as the name
  EXPECT_NE(text.find("\"inf\":null"), std::string::npos);
  auto lines = events_after_start();
  ASSERT_EQ(lines.size(), 1u);
  const json& got = lines[0]["values"];
  EXPECT_EQ(lines[0]["step"], 0);
  for (size_t i = 0; i < finite.size(); ++i) {
    const json& value = got["f" + std::to_string(i)];
    ASSERT_TRUE(value.is_number()) << i;
    const double back = value.get<double>();
    EXPECT_EQ(back, finite[i]) << i;
    EXPECT_EQ(std::signbit(back), std::signbit(finite[i])) << i;
  }
  EXPECT_TRUE(got["nan"].is_null());
  EXPECT_TRUE(got["inf"].is_null());
  EXPECT_TRUE(got["-inf"].is_null());
}

TEST_F(WorkerHeader, AwkwardButValidNamesAreEscapedOrPassedThrough) {
  enter_headroom();
  WorkerRun run;
  const std::string long_name(200, 'n');
  const std::vector<std::string> names = {"quo\"te", "back\\slash", "sl/ash", "caf\xc3\xa9/\xce\xbb",
                                          "emoji\xf0\x9f\x98\x80", "{\"x\":1}", "sp ace", long_name};
  std::vector<std::pair<std::string, double>> values;
  for (size_t i = 0; i < names.size(); ++i) values.emplace_back(names[i], double(i));
  testing::internal::CaptureStderr();
  run.log(1, values);
  EXPECT_EQ(testing::internal::GetCapturedStderr(), "");
  auto lines = events_after_start();
  ASSERT_EQ(lines.size(), 1u);
  const json& got = lines[0]["values"];
  ASSERT_EQ(got.size(), names.size());
  for (size_t i = 0; i < names.size(); ++i) EXPECT_EQ(got[names[i]], double(i)) << names[i];
  EXPECT_NE(events_text().find("caf\xc3\xa9"), std::string::npos) << "UTF-8 is passed through, not \\u-escaped";
}

TEST_F(WorkerHeader, InvalidNamesAreSkippedAndTheRestWritten) {
  enter_headroom();
  WorkerRun run;
  const std::vector<std::string> invalid = {"",          "new\nline", "tab\tbed", std::string("nul\0l", 5),
                                            "del\x7f",   "bad\xff",   "cut\xc3",  "overlong\xc0\xaf",
                                            "surrogate\xed\xa0\x80", std::string(201, 'n')};
  std::vector<std::pair<std::string, double>> values = {{"good/first", 1}};
  for (const auto& name : invalid) values.emplace_back(name, 2);
  values.emplace_back("good/last", 3);
  testing::internal::CaptureStderr();
  run.log(5, values);
  const std::string warnings = testing::internal::GetCapturedStderr();
  auto lines = events_after_start();
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0]["values"], (json{{"good/first", 1.0}, {"good/last", 3.0}}));
  EXPECT_NE(warnings.find("skipped"), std::string::npos) << warnings;
  EXPECT_NE(warnings.find("control character"), std::string::npos) << warnings;
  EXPECT_NE(warnings.find("UTF-8"), std::string::npos) << warnings;
  EXPECT_EQ(std::count(warnings.begin(), warnings.end(), '\n'), long(invalid.size()));
}

TEST_F(WorkerHeader, SkippedValueWarningsStopAfterTwenty) {
  enter_headroom();
  WorkerRun run;
  testing::internal::CaptureStderr();
  for (int i = 0; i < 30; ++i) run.log(i, {{"", 1.0}, {"ok", 2.0}});
  const std::string warnings = testing::internal::GetCapturedStderr();
  EXPECT_EQ(std::count(warnings.begin(), warnings.end(), '\n'), 21) << warnings;
  EXPECT_EQ(events_after_start().size(), 30u);
}

TEST_F(WorkerHeader, ANameGivenTwiceKeepsItsLastValue) {
  enter_headroom();
  WorkerRun run;
  run.log(1, {{"a", 1.0}, {"b", 2.0}, {"a", 3.0}});
  const std::string text = events_text();
  const std::string line = text.substr(text.find("\"metric\""));
  EXPECT_EQ(line.find("\"a\""), line.rfind("\"a\"")) << line;
  auto lines = events_after_start();
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0]["values"], (json{{"a", 3.0}, {"b", 2.0}}));
}

TEST_F(WorkerHeader, AtMostAThousandDistinctNamesPerRun) {
  enter_headroom();
  WorkerRun run;
  std::map<std::string, double> many;
  for (int i = 0; i < 999; ++i) many["m" + std::to_string(i)] = i;
  run.log(1, many);
  testing::internal::CaptureStderr();
  run.log(2, {{"m0", 1.0}, {"new/1000th", 2.0}, {"new/1001st", 3.0}});
  run.log(3, {{"new/1002nd", 4.0}, {"m5", 5.0}, {"new/1000th", 6.0}});
  const std::string warnings = testing::internal::GetCapturedStderr();
  auto lines = events_after_start();
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0]["values"].size(), 999u);
  EXPECT_EQ(lines[1]["values"], (json{{"m0", 1.0}, {"new/1000th", 2.0}}));
  EXPECT_EQ(lines[2]["values"], (json{{"m5", 5.0}, {"new/1000th", 6.0}}));
  EXPECT_NE(warnings.find("1000 distinct"), std::string::npos) << warnings;
}

TEST_F(WorkerHeader, NegativeStepsThrowActiveOrNot) {
  {
    WorkerRun outside;
    EXPECT_THROW(outside.log(-1, {{"a", 1.0}}), std::invalid_argument);
  }
  enter_headroom();
  WorkerRun run;
  EXPECT_THROW(run.log(-1, {{"a", 1.0}}), std::invalid_argument);
  EXPECT_THROW(run.eval(-2, {{"a", 1.0}}), std::invalid_argument);
  EXPECT_THROW(run.checkpoint(-3), std::invalid_argument);
  EXPECT_THROW(run.start(-4), std::invalid_argument);
  run.log(std::numeric_limits<int64_t>::max(), {{"a", 1.0}});
  auto lines = events_after_start();
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0]["step"].get<int64_t>(), std::numeric_limits<int64_t>::max());
}

TEST_F(WorkerHeader, AppendsToAnExistingEventsFile) {
  enter_headroom();
  write_text(run_dir_ / "events.jsonl", "{\"v\":1,\"event\":\"checkpoint\",\"time\":1,\"step\":0}\n");
  {
    WorkerRun run;
    run.log(1, {{"a", 1.0}});
  }
  auto lines = events();
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0]["event"], "checkpoint");
  EXPECT_EQ(lines[1]["event"], "start");
  EXPECT_EQ(lines[2]["event"], "metric");
}

TEST_F(WorkerHeader, AnUnopenableEventsFileThrows) {
  enter_headroom();
  ::setenv("HEADROOM_EVENTS", (dir_ / "missing" / "events.jsonl").c_str(), 1);
  WorkerRun run;
  EXPECT_THROW(run.log(1, {{"a", 1.0}}), std::system_error);
  // finish still exits with the status's code, saying why on stderr.
  EXPECT_EXIT(run.finish(Status::diverged, "x"), ::testing::ExitedWithCode(3), "cannot write the end event");
}

TEST_F(WorkerHeader, ALineTornByAFailedWriteIsEndedByTheNextLine) {
  enter_headroom();
  // In a child: a file size limit cuts the second metric line short.
  EXPECT_EXIT(
      {
        WorkerRun run;
        run.log(1, {{"a", 1.0}});
        std::signal(SIGXFSZ, SIG_IGN);
        const auto size = fs::file_size(run_dir_ / "events.jsonl");
        rlimit limit{};
        ::getrlimit(RLIMIT_FSIZE, &limit);
        rlimit small = limit;
        small.rlim_cur = size + 40;
        ::setrlimit(RLIMIT_FSIZE, &small);
        bool threw = false;
        try {
          run.log(2, {{"a long metric name that does not fit", 2.0}});
        } catch (const std::system_error&) {
          threw = true;
        }
        ::setrlimit(RLIMIT_FSIZE, &limit);
        run.log(3, {{"a", 3.0}});
        std::_Exit(threw ? 0 : 1);
      },
      ::testing::ExitedWithCode(0), "");
  const std::string text = events_text();
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  ASSERT_EQ(lines.size(), 4u) << text;
  EXPECT_FALSE(json::accept(lines[2])) << "the torn line: " << lines[2];
  EXPECT_EQ(json::parse(lines[3])["step"], 3) << text;
  EXPECT_EQ(json::parse(lines[1])["step"], 1) << text;
}

// --- ending ------------------------------------------------------------------

TEST_F(WorkerHeader, ExitCodes) {
  static_assert(WorkerRun::exit_code(Status::ok) == 0);
  static_assert(WorkerRun::exit_code(Status::failed) == 1);
  static_assert(WorkerRun::exit_code(Status::invalid_config) == 2);
  static_assert(WorkerRun::exit_code(Status::diverged) == 3);
  static_assert(WorkerRun::exit_code(Status::preempted) == 4);
  EXPECT_EQ(WorkerRun::exit_code(Status::preempted), 4);
}

TEST_F(WorkerHeader, EndOkHasNoErrorAndEndsTheEvents) {
  enter_headroom();
  WorkerRun run;
  run.log(1, {{"a", 1.0}});
  run.end(Status::ok, "ignored for ok");
  run.log(2, {{"a", 2.0}});
  run.checkpoint(2);
  run.end(Status::failed, "a second end");
  auto lines = events_after_start();
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(keys(lines[1]), (std::set<std::string>{"v", "event", "time", "status"}));
  EXPECT_EQ(lines[1]["event"], "end");
  EXPECT_EQ(lines[1]["status"], "ok");
}

TEST_F(WorkerHeader, EndErrorsAreEscapedAndInvalidUtf8Replaced) {
  enter_headroom();
  WorkerRun run;
  const std::string error = std::string("a \"quoted\" back\\slash,\nnew line, tab\t, bell\x07, nul ") +
                            std::string(1, '\0') + ", caf\xc3\xa9, bad \xff.";
  run.end(Status::failed, error);
  const std::string text = events_text();
  EXPECT_NE(text.find("\\u0007"), std::string::npos) << text;
  EXPECT_NE(text.find("\\u0000"), std::string::npos) << text;
  auto lines = events();
  ASSERT_EQ(lines.size(), 2u) << "an end without a start writes the start first";
  EXPECT_EQ(lines[0]["event"], "start");
  EXPECT_EQ(keys(lines[1]), (std::set<std::string>{"v", "event", "time", "status", "error"}));
  std::string expected = error;
  expected.replace(expected.find('\xff'), 1, "\xef\xbf\xbd");
  EXPECT_EQ(lines[1]["error"], expected);
}

TEST_F(WorkerHeader, EndWithoutAnErrorGetsADefaultSentence) {
  const std::vector<std::pair<Status, std::string>> statuses = {
      {Status::failed, "failed"},
      {Status::invalid_config, "invalid_config"},
      {Status::diverged, "diverged"},
      {Status::preempted, "preempted"}};
  for (const auto& [status, name] : statuses) {
    enter_headroom();
    fs::remove(run_dir_ / "events.jsonl");
    WorkerRun run;
    run.end(status);
    auto lines = events_after_start();
    ASSERT_EQ(lines.size(), 1u);
    EXPECT_EQ(lines[0]["status"], name);
    ASSERT_TRUE(lines[0]["error"].is_string());
    EXPECT_FALSE(lines[0]["error"].get<std::string>().empty());
  }
}

TEST_F(WorkerHeader, FinishWritesTheEndAndExitsWithItsCode) {
  const std::vector<std::pair<Status, std::string>> statuses = {{Status::ok, "ok"},
                                                                {Status::failed, "failed"},
                                                                {Status::invalid_config, "invalid_config"},
                                                                {Status::diverged, "diverged"},
                                                                {Status::preempted, "preempted"}};
  for (const auto& [status, name] : statuses) {
    enter_headroom();
    fs::remove(run_dir_ / "events.jsonl");
    {
      WorkerRun run;
      run.log(1, {{"a", 1.0}});
      EXPECT_EXIT(run.finish(status, "because"), ::testing::ExitedWithCode(WorkerRun::exit_code(status)), "") << name;
    }
    auto lines = events_after_start();
    ASSERT_EQ(lines.size(), 2u) << name;
    EXPECT_EQ(lines[1]["event"], "end");
    EXPECT_EQ(lines[1]["status"], name);
    if (status == Status::ok) {
      EXPECT_FALSE(lines[1].contains("error"));
    } else {
      EXPECT_EQ(lines[1]["error"], "because");
    }
  }
}

// --- SIGTERM -----------------------------------------------------------------

TEST_F(WorkerHeader, SigtermSetsTheFlagAndTheWorkerEndsPreempted) {
  enter_headroom();
  // The child says it is ready with SIGUSR1, which the parent blocks and waits for.
  sigset_t usr1, previous;
  sigemptyset(&usr1);
  sigaddset(&usr1, SIGUSR1);
  ASSERT_EQ(::pthread_sigmask(SIG_BLOCK, &usr1, &previous), 0);
  std::fflush(nullptr);
  const pid_t parent = ::getpid();
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    WorkerRun run;
    WorkerRun::handle_sigterm();
    if (WorkerRun::stop_requested()) std::_Exit(90);
    ::kill(parent, SIGUSR1);
    for (int64_t step = 1; step < 100000; ++step) {
      if (WorkerRun::stop_requested()) {
        run.checkpoint(step - 1);
        run.finish(Status::preempted);
      }
      run.log(step, {{"train/loss", 1.0 / double(step)}});
      ::usleep(1000);
    }
    std::_Exit(91);
  }
  timespec timeout{30, 0};
  const int received = ::sigtimedwait(&usr1, nullptr, &timeout);
  ::pthread_sigmask(SIG_SETMASK, &previous, nullptr);
  EXPECT_EQ(received, SIGUSR1);
  ::kill(child, SIGTERM);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status)) << status;
  EXPECT_EQ(WEXITSTATUS(status), 4);
  auto lines = events_after_start();
  ASSERT_GE(lines.size(), 2u);
  EXPECT_EQ(lines[lines.size() - 2]["event"], "checkpoint");
  EXPECT_EQ(lines.back()["event"], "end");
  EXPECT_EQ(lines.back()["status"], "preempted");
  EXPECT_TRUE(lines.back()["error"].is_string());
}

TEST_F(WorkerHeader, HandledSigtermDoesNotKill) {
  EXPECT_EXIT(
      {
        WorkerRun::handle_sigterm();
        if (WorkerRun::stop_requested()) std::_Exit(90);
        std::raise(SIGTERM);
        std::_Exit(WorkerRun::stop_requested() ? 4 : 91);
      },
      ::testing::ExitedWithCode(4), "");
}

// --- checkpoints -------------------------------------------------------------

TEST_F(WorkerHeader, CheckpointDirIsCreatedAndResumeRead) {
  enter_headroom("{}", /*resume=*/false);
  ::setenv("HEADROOM_CHECKPOINT_DIR", (dir_ / "deep" / "er" / "checkpoint").c_str(), 1);
  WorkerRun run;
  EXPECT_FALSE(run.resuming());
  const std::string path = run.checkpoint_dir();
  EXPECT_EQ(path, (dir_ / "deep" / "er" / "checkpoint").string());
  EXPECT_TRUE(fs::is_directory(path));
  EXPECT_EQ(run.checkpoint_dir(), path) << "again: it exists";
  ::setenv("HEADROOM_RESUME", "1", 1);
  EXPECT_TRUE(WorkerRun().resuming());
  ::setenv("HEADROOM_RESUME", "yes", 1);
  EXPECT_FALSE(WorkerRun().resuming());
  ::setenv("HEADROOM_CHECKPOINT_DIR", "relative/checkpoint", 1);
  EXPECT_TRUE(fs::is_directory(WorkerRun().checkpoint_dir()));
  write_text(dir_ / "file", "");
  ::setenv("HEADROOM_CHECKPOINT_DIR", (dir_ / "file" / "checkpoint").c_str(), 1);
  EXPECT_THROW(WorkerRun().checkpoint_dir(), std::system_error);
}

// --- config accessors --------------------------------------------------------

TEST_F(WorkerHeader, ConfigAccessorsReadTopLevelFields) {
  enter_headroom(R"({
    "lr": 1e-3, "layers": 2, "width": 2.0, "big": 1e3, "max": 9223372036854775807,
    "min": -9223372036854775808, "neg": -0.5, "name": "ad\"am\\\/\n\t\u00e9\ud83d\ude00",
    "raw": "café", "on": true, "off": false, "nothing": null, "empty": "",
    "nested": {"a": [1, {"b": "}]\"", "layers": 99}], "name": "inner", "c": {}}, "after": 5,
    "list": [[], [[]], "]", {"x": "{"}], "k\u0065y": 1, "dup": 1, "dup": 2,
    "under": 1e-400, "negunder": -0.0001e-330, "subnormal": 5e-324, "long": 100000000000000000000000
  })");
  WorkerRun run;
  EXPECT_EQ(run.number("lr", 0), 1e-3);
  EXPECT_EQ(run.number("layers", 0), 2.0);
  EXPECT_EQ(run.number("neg", 0), -0.5);
  EXPECT_EQ(run.number("under", 1), 0.0);
  EXPECT_EQ(run.number("negunder", 1), 0.0);
  EXPECT_TRUE(std::signbit(run.number("negunder", 1)));
  EXPECT_EQ(run.number("subnormal", 1), 5e-324);
  EXPECT_EQ(run.number("long", 1), 1e23);
  EXPECT_EQ(run.integer("layers", 0), 2);
  EXPECT_EQ(run.integer("width", 0), 2);
  EXPECT_EQ(run.integer("big", 0), 1000);
  EXPECT_EQ(run.integer("max", 0), std::numeric_limits<int64_t>::max());
  EXPECT_EQ(run.integer("min", 0), std::numeric_limits<int64_t>::min());
  EXPECT_EQ(run.text("name", ""), "ad\"am\\/\n\t\xc3\xa9\xf0\x9f\x98\x80");
  EXPECT_EQ(run.text("raw", ""), "caf\xc3\xa9");
  EXPECT_EQ(run.text("empty", "fallback"), "");
  EXPECT_TRUE(run.boolean("on", false));
  EXPECT_FALSE(run.boolean("off", true));
  // Missing and null give the fallback.
  EXPECT_EQ(run.number("missing", 4.5), 4.5);
  EXPECT_EQ(run.integer("nothing", 7), 7);
  EXPECT_EQ(run.text("nothing", "fb"), "fb");
  EXPECT_TRUE(run.boolean("nothing", true));
  // Nested values are skipped, not read as top-level fields.
  EXPECT_EQ(run.integer("after", 0), 5);
  EXPECT_EQ(run.text("c", "top-level only"), "top-level only");
  EXPECT_EQ(run.text("b", "top-level only"), "top-level only");
  EXPECT_EQ(run.integer("key", 0), 1) << "keys are decoded";
  EXPECT_EQ(run.integer("dup", 0), 2) << "the last of a duplicated key";
  EXPECT_EQ(run.integer("Layers", -1), -1) << "names are case-sensitive";
}

TEST_F(WorkerHeader, ConfigFieldsOfAnotherTypeThrow) {
  enter_headroom(R"({"s": "1", "b": true, "n": 1.5, "o": {}, "a": [1], "huge": 9223372036854775808,
                    "tiny": -9223372036854775809, "frac": 2.5e0, "e": 1e19})");
  WorkerRun run;
  EXPECT_THROW(run.number("s", 0), ConfigError);
  EXPECT_THROW(run.number("b", 0), ConfigError);
  EXPECT_THROW(run.number("o", 0), ConfigError);
  EXPECT_THROW(run.number("a", 0), ConfigError);
  EXPECT_THROW(run.integer("n", 0), ConfigError);
  EXPECT_THROW(run.integer("s", 0), ConfigError);
  EXPECT_THROW(run.integer("huge", 0), ConfigError);
  EXPECT_THROW(run.integer("tiny", 0), ConfigError);
  EXPECT_THROW(run.integer("frac", 0), ConfigError);
  EXPECT_THROW(run.integer("e", 0), ConfigError);
  EXPECT_THROW(run.text("n", ""), ConfigError);
  EXPECT_THROW(run.text("o", ""), ConfigError);
  EXPECT_THROW(run.boolean("s", false), ConfigError);
  EXPECT_THROW(run.boolean("n", false), ConfigError);
  try {
    run.integer("n", 0);
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("'n'"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("1.5"), std::string::npos) << e.what();
  }
}

TEST_F(WorkerHeader, AnInvalidConfigThrowsOnEveryAccessAndStartsWithAnEmptyConfig) {
  const std::vector<std::string> invalid = {"",
                                            "   ",
                                            "[]",
                                            "\"text\"",
                                            "{",
                                            "{\"a\":}",
                                            "{\"a\":1,}",
                                            "{\"a\" 1}",
                                            "{a:1}",
                                            "{\"a\":01}",
                                            "{\"a\":1.}",
                                            "{\"a\":.5}",
                                            "{\"a\":+1}",
                                            "{\"a\":1e}",
                                            "{\"a\":-}",
                                            "{\"a\":tru}",
                                            "{\"a\":NaN}",
                                            "{\"a\":1e309}",
                                            "{\"a\":-2e308}",
                                            "{\"a\":[" + std::string(400, '9') + "]}",
                                            "{\"a\":\"\\ud800\"}",
                                            "{\"a\":\"\\udc00\"}",
                                            "{\"a\":\"\\ud800\\u0041\"}",
                                            "{\"a\":\"\\x\"}",
                                            "{\"a\":\"\\u12g4\"}",
                                            "{\"a\":\"tab\there\"}",
                                            "{\"a\":\"\xff\"}",
                                            "{\"a\":\"\xc0\xaf\"}",
                                            "{\"a\":\"open}",
                                            "{\"a\":1} {}",
                                            "{\"a\":[1,2}",
                                            "{\"a\":1}\x01",
                                            "{\"a\":" + std::string(10000, '[') + std::string(10000, ']') + "}"};
  for (const auto& config : invalid) {
    enter_headroom(config);
    fs::remove(run_dir_ / "events.jsonl");
    WorkerRun run;
    EXPECT_EQ(run.config_json(), config);
    EXPECT_THROW(run.number("a", 0), ConfigError) << config.substr(0, 40);
    EXPECT_THROW(run.text("missing", ""), ConfigError) << config.substr(0, 40);
    run.start();
    auto lines = events();
    ASSERT_EQ(lines.size(), 1u) << config.substr(0, 40);
    EXPECT_EQ(lines[0]["config"], json::object()) << config.substr(0, 40);
  }
}

TEST_F(WorkerHeader, AnUnreadableConfigThrowsNamingIt) {
  enter_headroom();
  ::setenv("HEADROOM_CONFIG", (dir_ / "nowhere.json").c_str(), 1);
  WorkerRun run;
  EXPECT_EQ(run.config_json(), "");
  try {
    run.number("lr", 0);
    ADD_FAILURE() << "no ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("nowhere.json"), std::string::npos) << e.what();
  }
}

TEST_F(WorkerHeader, ADeeplyNestedButValidConfigIsRead) {
  std::string deep = std::string(500, '[') + std::string(500, ']');
  enter_headroom("\xef\xbb\xbf{\"deep\": " + deep + ", \"x\": 1}");
  WorkerRun run;
  EXPECT_EQ(run.integer("x", 0), 1);
  run.start();
  auto lines = events();
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0]["config"]["x"], 1);
}

// Random configs, written by nlohmann::json in either style: the accessors and
// the embedded config agree with nlohmann's reading.
json random_value(std::mt19937& random, int depth) {
  const auto pick = [&](int n) { return int(random() % unsigned(n)); };
  const auto random_string = [&] {
    static const std::vector<std::string> pieces = {"a", "Z", " ", "\"", "\\", "/", "\n", "\t", "\x01", "\x1f",
                                                    "\x7f", "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80", "{",
                                                    "}", "[", "]", ",", ":"};
    std::string text;
    for (int n = pick(6); n > 0; --n) text += pieces[size_t(pick(int(pieces.size())))];
    return text;
  };
  switch (depth > 3 ? pick(6) : pick(8)) {
    case 0: return nullptr;
    case 1: return pick(2) == 0;
    case 2: return int64_t(random()) - int64_t(random() >> 1) * int64_t(random() >> 1);
    case 3: return std::ldexp(double(random()) - 2147483648.0, pick(200) - 100);
    case 4:
    case 5: return random_string();
    case 6: {
      json array = json::array();
      for (int n = pick(4); n > 0; --n) array.push_back(random_value(random, depth + 1));
      return array;
    }
    default: {
      json object = json::object();
      for (int n = pick(4); n > 0; --n) object[random_string()] = random_value(random, depth + 1);
      return object;
    }
  }
}

TEST_F(WorkerHeader, RandomConfigsReadAsNlohmannReadsThem) {
  std::mt19937 random(20261128);
  for (int round = 0; round < 300; ++round) {
    json config = json::object();
    for (int n = int(random() % 8); n > 0; --n) config["k" + std::to_string(random() % 10)] = random_value(random, 1);
    const int indent = int(random() % 3) - 1;
    const std::string text = config.dump(indent, ' ', random() % 2 == 0);
    enter_headroom(text);
    fs::remove(run_dir_ / "events.jsonl");
    WorkerRun run;
    for (const auto& [name, value] : config.items()) {
      SCOPED_TRACE(text + " field " + name);
      if (value.is_null()) {
        EXPECT_EQ(run.number(name, 42), 42);
      } else if (value.is_boolean()) {
        EXPECT_EQ(run.boolean(name, !value.get<bool>()), value.get<bool>());
      } else if (value.is_number_integer()) {
        EXPECT_EQ(run.integer(name, 0), value.get<int64_t>());
        EXPECT_EQ(run.number(name, 0), value.get<double>());
      } else if (value.is_number()) {
        EXPECT_EQ(run.number(name, 0), value.get<double>());
      } else if (value.is_string()) {
        EXPECT_EQ(run.text(name, ""), value.get<std::string>());
      } else {
        EXPECT_THROW(run.text(name, ""), ConfigError);
      }
    }
    run.start();
    auto lines = events();
    ASSERT_EQ(lines.size(), 1u);
    EXPECT_EQ(lines[0]["config"], config);
  }
}

// Mutated configs: the header accepts exactly the texts nlohmann::json
// accepts as an object (strict RFC 8259).
TEST_F(WorkerHeader, MutatedConfigsAreAcceptedExactlyWhenNlohmannAcceptsThem) {
  std::mt19937 random(7);
  const std::string alphabet = "{}[]\",:\\/ \n0123456789-+.eEtrufalsn\x01\x7f\xc3\xa9\xff\xed\xa0u";
  int accepted = 0, refused = 0;
  for (int round = 0; round < 4000; ++round) {
    json config = json::object();
    for (int n = 1 + int(random() % 4); n > 0; --n) config["k" + std::to_string(random() % 10)] = random_value(random, 2);
    std::string text = config.dump(int(random() % 2) - 1, ' ', random() % 2 == 0);
    for (int edits = 1 + int(random() % 3); edits > 0; --edits) {
      const size_t at = random() % (text.size() + 1);
      switch (random() % 3) {
        case 0: text.insert(at, 1, alphabet[random() % alphabet.size()]); break;
        case 1:
          if (at < text.size()) text.erase(at, 1);
          break;
        default:
          if (at < text.size()) text[at] = alphabet[random() % alphabet.size()];
      }
    }
    const json reference = json::parse(text, nullptr, /*allow_exceptions=*/false);
    const bool valid = !reference.is_discarded() && reference.is_object();
    const auto config_read = headroom_worker::detail::parse_config(text);
    EXPECT_EQ(config_read.problem.empty(), valid) << text << "\n" << config_read.problem;
    if (valid) {
      ++accepted;
      EXPECT_EQ(json::parse(config_read.compact), reference) << text;
    } else {
      ++refused;
    }
  }
  EXPECT_GT(accepted, 200);
  EXPECT_GT(refused, 200);
}

}  // namespace
