// headroom serve (issue 21, its first part): the JSON API and the page over a
// real database of a finished sweep, through a real HTTP client and, where
// Chromium is installed, a real browser: answers, filters, curves, errors,
// the security headers, the token off loopback, and a parameter value that
// is an XSS payload staying text.
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>

#include <boost/process.hpp>
#include <regex>

#include <nlohmann/json.hpp>

#include "tests/support/browser.h"
#include "tests/support/test_support.h"

namespace headroom {
namespace {

namespace bp = boost::process;
using testing::TemporaryFolder;

const std::string kPayload = "<img src=x onerror=document.title='owned'>";

class Serve : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string sweep = folder_.write(
        "s.yaml", "name: s\nprogram: " + std::string(HEADROOM_SOURCE_DIR) +
                      "/tests/workers/programs/stdout_metrics.py\nworker: {metrics: stdout}\n"
                      "parameters:\n  scale: {values: [1.0, 2.0]}\n  label: {values: [\"" + kPayload + "\"]}\n");
    auto ran = testing::run_command({testing::headroom_binary(), "run", sweep, "--quiet"}, folder_.path());
    ASSERT_EQ(ran.exit_status, 0) << ran.err;
  }

  void TearDown() override {
    if (server_.running()) {
      ::kill(server_.id(), SIGTERM);
      server_.wait();
    }
  }

  // Starts `headroom serve --port 0 EXTRA...` and returns the URL it prints.
  std::string start(std::vector<std::string> extra = {}) {
    std::vector<std::string> arguments = {"--db", (folder_.path() / "headroom.db").string(), "serve", "--port", "0"};
    arguments.insert(arguments.end(), extra.begin(), extra.end());
    server_ = bp::child(testing::headroom_binary(), arguments, bp::std_out > output_, bp::std_err > bp::null);
    std::string line;
    std::getline(output_, line);
    std::smatch url;
    EXPECT_TRUE(std::regex_search(line, url, std::regex(R"(http://[^ ]+)"))) << line;
    return url.str();
  }

  static std::pair<std::string, int> host_port(const std::string& url) {
    std::smatch parts;
    std::regex_search(url, parts, std::regex(R"(http://([^:/]+):(\d+))"));
    return {parts[1], std::stoi(parts[2])};
  }

  TemporaryFolder folder_;
  bp::ipstream output_;
  bp::child server_;
};

TEST_F(Serve, TheApiAnswersWhatTheCliWouldWithSafeHeaders) {
  auto [host, port] = host_port(start());
  EXPECT_EQ(host, "127.0.0.1") << "loopback by default";
  httplib::Client client(host, port);
  auto sweeps = client.Get("/api/sweeps");
  ASSERT_TRUE(sweeps);
  EXPECT_EQ(sweeps->status, 200);
  auto list = nlohmann::json::parse(sweeps->body);
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0]["sweep"], "s");
  EXPECT_EQ(list[0]["cells"]["succeeded"], 2);
  EXPECT_NE(sweeps->get_header_value("Content-Security-Policy").find("script-src 'self'"), std::string::npos);
  EXPECT_EQ(sweeps->get_header_value("X-Content-Type-Options"), "nosniff");

  // The --where language narrows the runs; a bad filter is a 400 saying why.
  auto filtered = client.Get("/api/runs?sweep=s&where=scale%20%3E%201.5");
  ASSERT_TRUE(filtered);
  auto rows = nlohmann::json::parse(filtered->body);
  ASSERT_EQ(rows.size(), 1u) << filtered->body;
  EXPECT_EQ(rows[0]["scale"], 2.0);
  EXPECT_EQ(rows[0]["label"], kPayload) << "JSON carries the value as it is";
  auto bad = client.Get("/api/runs?sweep=s&where=scale%20%3E");
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 400);
  EXPECT_NE(nlohmann::json::parse(bad->body)["error"].get<std::string>().find("--where"), std::string::npos);

  // A run and its curve, point by point.
  const int run = rows[0]["run"];
  auto details = client.Get("/api/runs/" + std::to_string(run));
  ASSERT_TRUE(details);
  EXPECT_EQ(nlohmann::json::parse(details->body)["state"], "succeeded");
  auto curve = client.Get("/api/runs/" + std::to_string(run) + "/metrics?names=loss");
  ASSERT_TRUE(curve);
  auto points = nlohmann::json::parse(curve->body)["loss"];
  ASSERT_EQ(points.size(), 5u) << curve->body;
  EXPECT_EQ(points[4], nlohmann::json::array({4, 2.0 / 5}));

  // Nothing else: no writes, no files, JSON errors.
  EXPECT_EQ(client.Post("/api/sweeps", "", "text/plain")->status, 405);
  EXPECT_EQ(client.Get("/api/runs/999")->status, 404);
  EXPECT_EQ(client.Get("/../../etc/passwd")->status, 404);
  EXPECT_EQ(client.Get("/api/sweeps/nope")->status, 404);
}

TEST_F(Serve, AnotherAddressNeedsTheTokenPrintedAtStart) {
  const std::string url = start({"--host", "0.0.0.0"});
  const auto token_at = url.find("?token=");
  ASSERT_NE(token_at, std::string::npos) << url;
  const std::string token = url.substr(token_at + 7);
  EXPECT_GE(token.size(), 32u);
  httplib::Client client("127.0.0.1", host_port(url).second);
  EXPECT_EQ(client.Get("/api/sweeps")->status, 401);
  EXPECT_EQ(client.Get("/api/sweeps?token=wrong")->status, 401);
  EXPECT_EQ(client.Get("/api/sweeps?token=" + token)->status, 200);
  EXPECT_EQ(client.Get("/api/sweeps", {{"Authorization", "Bearer " + token}})->status, 200);
}

// The page in a real browser: it fetches the sweeps and a sweep's runs and
// shows them, logs no error, and the payload among the parameters is text.
TEST_F(Serve, ThePageShowsTheSweepAndItsRunsAndAPayloadStaysText) {
  if (!testing::chromium_binary()) GTEST_SKIP() << "Chromium is not installed (scripts/test installs it)";
  const std::string url = start();
  auto page = testing::render_in_chromium(url + "?sweep=s", 3000);
  EXPECT_NE(page.dom.find("<td class=\"link\">s</td>"), std::string::npos) << page.dom;
  EXPECT_NE(page.dom.find("Runs of s"), std::string::npos);
  EXPECT_NE(page.dom.find("&lt;img src=x onerror="), std::string::npos) << "escaped as text:\n" << page.dom;
  EXPECT_EQ(page.dom.find("<img"), std::string::npos) << "no element made from data";
  EXPECT_EQ(page.dom.find("<title>owned</title>"), std::string::npos);
  for (const auto& message : page.console_messages) ADD_FAILURE() << "console: " << message;
}

}  // namespace
}  // namespace headroom
