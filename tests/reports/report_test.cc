// headroom report on a database with known values: the files it writes,
// their numbers and verdicts, and its failures (an empty sweep, a bad flag,
// gnuplot failing), through the library and the real CLI.
#include "reports/report.h"

#include <cstdlib>
#include <cmath>
#include <filesystem>
#include <sstream>

#include <gtest/gtest.h>

#include "tests/support/browser.h"
#include "tests/support/results_fixture.h"
#include "tests/support/test_support.h"

namespace headroom {
namespace {

namespace fs = std::filesystem;
using testing::read_file;
using testing::TemporaryFolder;

// Standard attention loses 0.1 accuracy from 2 to 16 heads; fixed head size
// gains 0.1; seeds spread by -0.02, 0, +0.02 in an order that differs by
// configuration, so that differences paired by seed spread too.
const char* kSweep = R"(name: claims
metric: {name: eval/accuracy, goal: maximize}
base: {task: mlm, d_model: 64, layers: 1, seq_len: 32, steps: 30}
parameters:
  heads: {values: [2, 16]}
  attention:
    values: [standard, fixed]
    overrides:
      fixed: {head_size: 32}
seeds: [0, 1, 2]
)";

nlohmann::json final_values(const CellRecord& cell) {
  const bool fixed = cell.config["attention"] == "fixed";
  const int heads = cell.config["heads"].get<int>();
  const double orders[4][3] = {{-0.02, 0, 0.02}, {0, 0.02, -0.02}, {0.02, -0.02, 0}, {0.02, 0, -0.02}};
  const auto& offsets = orders[(fixed ? 2 : 0) + (heads == 16 ? 1 : 0)];
  const double accuracy = (fixed ? (heads == 16 ? 0.6 : 0.5) : (heads == 16 ? 0.4 : 0.5)) +
                          offsets[cell.config["seed"].get<int>()];
  const int head_size = cell.config["head_size"].get<int>();
  return {{"eval/accuracy", accuracy},
          {"eval/loss", 3 - accuracy},
          {"rank/numerical/layer0", std::min(head_size, 32)},
          {"train/tokens_per_s", 1000.0}};
}

// The comma-separated numbers that follow `prefix` on its line of `csv`.
std::vector<double> numbers_after(const std::string& csv, const std::string& prefix) {
  std::vector<double> numbers;
  const size_t start = csv.find(prefix);
  if (start == std::string::npos) return numbers;
  std::stringstream line(csv.substr(start + prefix.size(), csv.find('\n', start) - start - prefix.size()));
  std::string field;
  while (std::getline(line, field, ',')) {
    try {
      numbers.push_back(std::stod(field));
    } catch (const std::exception&) {
      break;
    }
  }
  return numbers;
}

class Report : public ::testing::Test {
 protected:
  void SetUp() override {
    database_ = (folder_.path() / "headroom.db").string();
    testing::add_finished_sweep(database_, (folder_.path() / "runs").string(), kSweep, final_values);
    auto store = Store::open_read_only(database_);
    ASSERT_TRUE(store.ok()) << store.error().to_string();
    store_ = std::move(store.value());
  }

  Result<ReportFiles> report(const std::string& sweep, SectionOptions section = {}) {
    auto record = store_->find_sweep(sweep);
    EXPECT_TRUE(record.ok() && record.value());
    ReportOptions options;
    options.out_dir = out_.string();
    options.section = section;
    return write_report(*store_, {*record.value()}, options);
  }

  TemporaryFolder folder_;
  std::string database_;
  std::unique_ptr<Store> store_;
  fs::path out_ = folder_.path() / "out";
};

TEST_F(Report, WritesHtmlMarkdownFiguresAndTables) {
  auto files = report("claims");
  ASSERT_TRUE(files.ok()) << files.error().to_string();
  EXPECT_EQ(files->html, (out_ / "report.html").string());
  for (const char* name : {"report.html", "report.md", "claims-heads.svg", "claims-heads.png", "claims-heads.gp",
                           "claims-heads.dat", "claims-rank.svg", "claims-rank.png", "claims-curves.svg",
                           "claims-curves.png", "claims-configurations.csv", "claims-claims.csv", "claims-runs.csv"}) {
    ASSERT_TRUE(fs::exists(out_ / name)) << name;
    EXPECT_GT(fs::file_size(out_ / name), 0u) << name;
  }
  EXPECT_EQ(files->files.size(), 2u + 4u * 3u + 3u);
  EXPECT_FALSE(fs::exists(out_.string() + ".partial-" + std::to_string(::getpid())));

  // The HTML is self-contained, well-formed XML (so any browser parses it)
  // with each figure inlined as SVG.
  const std::string html = read_file(out_ / "report.html");
  auto parsed = testing::run_command(
      {"/usr/bin/python3", "-c",
       "import sys, xml.etree.ElementTree as E; root = E.parse(sys.argv[1]).getroot(); "
       "print(len(root.findall('.//{http://www.w3.org/2000/svg}svg')))",
       (out_ / "report.html").string()},
      folder_.path());
  ASSERT_EQ(parsed.exit_status, 0) << parsed.err;
  EXPECT_EQ(parsed.out, "3\n");
  EXPECT_EQ(html.find("<?xml"), std::string::npos);
  EXPECT_EQ(html.find(" src="), std::string::npos) << "nothing may load from outside the file";

  const std::string markdown = read_file(out_ / "report.md");
  EXPECT_NE(markdown.find("![claims-heads](claims-heads.png)"), std::string::npos);
  EXPECT_NE(markdown.find("| standard | 4 | 16 | 3 | 0.4000 ± 0.0200 |"), std::string::npos) << markdown;
  EXPECT_NE(markdown.find("| 2 | Figure 3a, Tables 2A and 3A | with many heads, fixed head size attention "
                          "beats standard attention | claims | "),
            std::string::npos)
      << markdown;
  EXPECT_NE(markdown.find("*Figure 1: Final eval/accuracy against the number of heads"), std::string::npos) << markdown;
  EXPECT_NE(markdown.find("*Figure 3: Numerical rank of the attention logits"), std::string::npos) << markdown;
  // Every id in the page is unique, and the contents link to the headings.
  EXPECT_EQ(testing::duplicate_ids(html), std::vector<std::string>{});
  EXPECT_NE(html.find("<nav>"), std::string::npos);
  EXPECT_NE(html.find("href=\"#s"), std::string::npos);
}

TEST_F(Report, TheHtmlRendersInChromiumWithoutConsoleMessagesOrDuplicateIds) {
  if (!testing::chromium_binary()) GTEST_SKIP() << "Chromium is not installed: scripts/test installs it";
  ASSERT_TRUE(report("claims").ok());
  const auto page = testing::render_in_chromium("file://" + (out_ / "report.html").string());
  EXPECT_EQ(page.console_messages, std::vector<std::string>{});
  EXPECT_EQ(testing::duplicate_ids(page.dom), std::vector<std::string>{});
  // The browser parsed every inlined figure as SVG.
  size_t figures = 0;
  for (size_t at = page.dom.find("<svg"); at != std::string::npos; at = page.dom.find("<svg", at + 1)) ++figures;
  EXPECT_EQ(figures, 3u);
}

TEST_F(Report, TablesHoldTheNumbersOverSeeds) {
  ASSERT_TRUE(report("claims").ok());
  const std::string configurations = read_file(out_ / "claims-configurations.csv");
  EXPECT_EQ(configurations.substr(0, configurations.find('\n')),
            "attention,head_size,heads,seeds,eval/accuracy mean,eval/accuracy std,parameters,"
            "non_embedding_parameters,flops_per_token,wall_seconds_mean,tokens_per_s_mean");
  auto fixed = numbers_after(configurations, "fixed,32,16,");
  ASSERT_GE(fixed.size(), 3u) << configurations;
  EXPECT_EQ(fixed[0], 3);
  EXPECT_NEAR(fixed[1], 0.6, 1e-12);
  EXPECT_NEAR(fixed[2], 0.02, 1e-12);
  auto standard = numbers_after(configurations, "standard,4,16,");
  ASSERT_GE(standard.size(), 3u) << configurations;
  EXPECT_NEAR(standard[1], 0.4, 1e-12);

  // Fixed beats standard at 16 heads by 0.2; paired by seed the differences
  // are 0.22, 0.18, 0.20: interval 0.2 -+ t(0.975; 2) * 0.02 / sqrt(3).
  const std::string claims = read_file(out_ / "claims-claims.csv");
  const size_t row = claims.find("with many heads");
  ASSERT_NE(row, std::string::npos) << claims;
  const std::string line = claims.substr(row, claims.find('\n', row) - row);
  const std::string tail = line.substr(line.rfind("\","));  // parameters, advantage, low, high, p, method, verdicts
  auto numbers = numbers_after(tail, "\",");
  ASSERT_EQ(numbers.size(), 6u) << tail;
  const double half = 4.302652729911275 * 0.02 / std::sqrt(3.0);
  EXPECT_GT(numbers[0], numbers[1]);  // fixed's non-embedding parameters against standard's
  EXPECT_NEAR(numbers[2], 0.2, 1e-12);
  EXPECT_NEAR(numbers[3], 0.2 - half, 1e-9);
  EXPECT_NEAR(numbers[4], 0.2 + half, 1e-9);
  EXPECT_TRUE(line.ends_with(",paired,reproduced,reproduced,claims")) << line;
  const std::string markdown = read_file(out_ / "report.md");
  EXPECT_NE(markdown.find("fixed head size attention at 16 heads (head size 32) beats standard attention at 16 heads "
                          "(head size 4) by 0.2 eval/accuracy (0.6 against 0.4; "),
            std::string::npos)
      << markdown;
  EXPECT_NE(markdown.find("95% interval of the advantage [0.1503, 0.2497], paired over 3 seeds, p = "),
            std::string::npos)
      << markdown;
}

TEST_F(Report, FlagsChooseAxesSeriesAndCurves) {
  SectionOptions options;
  options.x = "heads";
  options.series = "attention";
  options.metric = "eval/loss";
  options.curve_cells = {};
  ASSERT_TRUE(report("claims", options).ok());
  const std::string data = read_file(out_ / "claims-heads.dat");
  EXPECT_NE(data.find("# attention=fixed\n# x y error\n2 2.5 0.02"), std::string::npos) << data;

  options.x = "no_such_parameter";
  auto bad = report("claims", options);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().to_string().find("sweep 'claims' has no parameter 'no_such_parameter'"), std::string::npos)
      << bad.error().to_string();

  options.x = "";
  options.curve_cells = {"zzzz"};
  auto no_cell = report("claims", options);
  ASSERT_FALSE(no_cell.ok());
  EXPECT_NE(no_cell.error().to_string().find("--curve zzzz: no cell"), std::string::npos);
}

TEST_F(Report, AnEmptySweepIsAClearErrorAndWritesNothing) {
  // A second sweep, registered but never run.
  testing::add_finished_sweep(database_, (folder_.path() / "runs").string(),
                              "name: empty\nparameters:\n  heads: {values: [2]}\n",
                              [](const CellRecord&) { return nlohmann::json::object(); });
  auto files = report("empty");
  ASSERT_FALSE(files.ok());
  EXPECT_EQ(files.error().kind, ErrorKind::invalid_input);
  EXPECT_NE(files.error().to_string().find("sweep 'empty' has no succeeded run that logged 'eval/accuracy'"),
            std::string::npos)
      << files.error().to_string();
  EXPECT_FALSE(fs::exists(out_));
}

TEST_F(Report, AGnuplotFailureKeepsThePreviousReport) {
  ASSERT_TRUE(report("claims").ok());
  const std::string before = read_file(out_ / "report.md");
  fs::remove(out_ / "claims-heads.png");
  TemporaryFolder bin;
  bin.write("gnuplot", "#!/bin/sh\necho 'line 3: unknown terminal' >&2\nexit 1\n");
  fs::permissions(bin.path() / "gnuplot", fs::perms::owner_all);
  const std::string path = std::getenv("PATH");
  setenv("PATH", (bin.path().string() + ":" + path).c_str(), 1);
  auto files = report("claims");
  setenv("PATH", path.c_str(), 1);
  ASSERT_FALSE(files.ok());
  EXPECT_NE(files.error().to_string().find("gnuplot failed on '"), std::string::npos) << files.error().to_string();
  EXPECT_NE(files.error().to_string().find("line 3: unknown terminal"), std::string::npos);
  EXPECT_EQ(read_file(out_ / "report.md"), before);
  EXPECT_FALSE(fs::exists(out_ / "claims-heads.png")) << "nothing of the failed report may be published";
}

TEST_F(Report, CommandLineReportsSeveralSweepsAndRefusesUnknownOnes) {
  testing::add_finished_sweep(database_, (folder_.path() / "runs").string(),
                              "name: widths\nbase: {task: mlm, heads: 2, seq_len: 32}\n"
                              "parameters:\n  d_model: {values: [32, 64, 128]}\n",
                              [](const CellRecord& cell) {
                                const double parameters = double(cell.non_embedding_parameters);
                                return nlohmann::json{{"eval/accuracy", cell.config["d_model"].get<double>() / 1000},
                                                      {"eval/loss", 10 * std::pow(parameters, -0.1)}};
                              });
  auto both = testing::run_command(
      {testing::headroom_binary(), "--db", database_, "report", "claims", "widths", "--out", "both"}, folder_.path());
  ASSERT_EQ(both.exit_status, 0) << both.err;
  EXPECT_EQ(both.out, (fs::path("both") / "report.html").string() + "\n" + (fs::path("both") / "report.md").string() + "\n");
  EXPECT_TRUE(fs::exists(folder_.path() / "both/widths-width.svg"));
  EXPECT_TRUE(fs::exists(folder_.path() / "both/widths-parameters.png"));
  const std::string markdown = read_file(folder_.path() / "both/report.md");
  EXPECT_NE(markdown.find("## Sweep `widths`"), std::string::npos);
  // Loss is exactly 10 N^-0.1: the fit finds the law with a zero-width interval.
  EXPECT_NE(markdown.find("- attention=standard: eval/loss ≈ 10 · N^-0.1, exponent 95% interval [-0.1, -0.1], R² 1, 3 "
                          "runs over N ="),
            std::string::npos)
      << markdown;

  auto unknown = testing::run_command({testing::headroom_binary(), "--db", database_, "report", "claimz"},
                                      folder_.path());
  EXPECT_EQ(unknown.exit_status, 2);
  EXPECT_NE(unknown.err.find("claimz"), std::string::npos) << unknown.err;
  EXPECT_FALSE(fs::exists(folder_.path() / "reports-out"));
}

TEST_F(Report, FitsNoPowerLawToSizesWithinAFactorOfTwo) {
  // Head sizes 24, 32 and 48 at one head change N by well under 2x: three
  // sizes, but no scaling law to read off them.
  testing::add_finished_sweep(database_, (folder_.path() / "runs").string(),
                              "name: narrow\nmetric: {name: eval/loss, goal: minimize}\nbase: {task: fit, heads: 1, d_model: 64, attention: fixed, seq_len: 32}\n"
                              "parameters:\n  head_size: {values: [24, 32, 48]}\n",
                              [](const CellRecord& cell) {
                                const double parameters = double(cell.non_embedding_parameters);
                                return nlohmann::json{{"eval/loss", 10 * std::pow(parameters, -0.1)}};
                              });
  auto narrow = testing::run_command(
      {testing::headroom_binary(), "--db", database_, "report", "narrow", "--out", "narrow"}, folder_.path());
  ASSERT_EQ(narrow.exit_status, 0) << narrow.err;
  const std::string markdown = read_file(folder_.path() / "narrow/report.md");
  EXPECT_NE(markdown.find("## Sweep `narrow`"), std::string::npos) << markdown;
  EXPECT_EQ(markdown.find("Power-law fit"), std::string::npos) << markdown;
}

}  // namespace
}  // namespace headroom
