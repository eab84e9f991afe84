// headroom serve (issue 21): the JSON API and the page over a real database
// of a finished sweep, through a real HTTP client and, where Chromium is
// installed, a real browser: answers, filters, curves (one run's and many
// runs' at once), output tails, importance, the embedded files, errors, the
// security headers, the token off loopback, and a parameter value that is an
// XSS payload staying text. The paper view's /api/report over the committed
// database of the paper's sweeps gives what `headroom report` wrote there.
// tests/browser/ drives the page itself (puppeteer-core) during a live sweep.
#include <gtest/gtest.h>
#include <arpa/inet.h>
#include <httplib.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <boost/process.hpp>
#include <regex>
#include <sstream>

#include <nlohmann/json.hpp>

#include "reports/figure.h"
#include "tests/support/browser.h"
#include "tests/support/test_support.h"

namespace headroom {
namespace {

namespace bp = boost::process;
namespace fs = std::filesystem;
using testing::TemporaryFolder;

const std::string kPayload = "<img src=x onerror=document.title='owned'>";

// A `headroom serve` on the database of folder_, stopped after each test.
class ServeProcess : public ::testing::Test {
 protected:
  void TearDown() override {
    if (server_.running()) {
      ::kill(server_.id(), SIGTERM);
      server_.wait();
    }
  }

  // Starts `headroom serve --port 0 EXTRA...` and returns the URL it prints.
  std::string start(std::vector<std::string> extra = {}) {
    std::vector<std::string> arguments = {"--db", (folder_.path() / database_).string(), "serve", "--port", "0"};
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
  std::string database_ = "headroom.db";
  bp::ipstream output_;
  bp::child server_;
};

// Sends `request` as it is on a new connection to 127.0.0.1:port (httplib's
// client always adds a Host header) and returns the answer's status line.
std::string status_line_of_raw_request(int port, const std::string& request) {
  const int connection = ::socket(AF_INET, SOCK_STREAM, 0);
  const timeval patience{10, 0};  // a server that never answers fails the test, not hangs it
  ::setsockopt(connection, SOL_SOCKET, SO_RCVTIMEO, &patience, sizeof(patience));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  ::inet_pton(AF_INET, "127.0.0.1", &address.sin_addr);
  std::string answer;
  if (::connect(connection, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0 &&
      ::send(connection, request.data(), request.size(), 0) == static_cast<ssize_t>(request.size())) {
    char buffer[512];
    ssize_t got;
    while (answer.find("\r\n") == std::string::npos && (got = ::recv(connection, buffer, sizeof(buffer), 0)) > 0) {
      answer.append(buffer, static_cast<size_t>(got));
    }
  }
  ::close(connection);
  return answer.substr(0, answer.find("\r\n"));
}

// A finished program sweep with an XSS payload among its parameters.
class Serve : public ServeProcess {
 protected:
  void SetUp() override {
    const std::string sweep = folder_.write(
        "s.yaml", "name: s\nprogram: " + std::string(HEADROOM_SOURCE_DIR) +
                      "/tests/workers/programs/stdout_metrics.py\nworker: {metrics: stdout}\n"
                      "parameters:\n  scale: {values: [1.0, 2.0]}\n  label: {values: [\"" + kPayload + "\"]}\n");
    auto ran = testing::run_command({testing::headroom_binary(), "run", sweep, "--quiet"}, folder_.path());
    ASSERT_EQ(ran.exit_status, 0) << ran.err;
  }
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

  // What the page's charts choose from.
  auto sweep_info = nlohmann::json::parse(client.Get("/api/sweeps/s")->body);
  EXPECT_EQ(sweep_info["parameters"], nlohmann::json::array({"label", "scale"}));
  EXPECT_EQ(sweep_info["metrics"], nlohmann::json::array({"accuracy", "loss"}));

  // The run's output, from its folder as the database records it.
  auto logs = client.Get("/api/runs/" + std::to_string(run) + "/logs?tail=2");
  ASSERT_TRUE(logs);
  ASSERT_EQ(logs->status, 200) << logs->body;
  auto output = nlohmann::json::parse(logs->body);
  EXPECT_EQ(output["stdout"]["exists"], true) << logs->body;
  EXPECT_EQ(output["stdout"]["truncated"], true);
  EXPECT_EQ(output["stdout"]["text"], "{\"step\": 4, \"accuracy\": 0.7}\nstdout metrics: done\n") << logs->body;
  EXPECT_EQ(output["stderr"]["text"], "");
  EXPECT_EQ(client.Get("/api/runs/" + std::to_string(run) + "/logs?tail=-1")->status, 400);
  EXPECT_EQ(client.Get("/api/runs/" + std::to_string(run) + "/logs?tail=2&path=/etc/passwd")->body, logs->body)
      << "no parameter names a file";

  // The loss follows scale alone: all of its variance, the constant label none.
  auto importance = client.Get("/api/sweeps/s/importance?metric=accuracy");
  ASSERT_TRUE(importance);
  ASSERT_EQ(importance->status, 200) << importance->body;
  auto shares = nlohmann::json::parse(importance->body);
  EXPECT_EQ(shares["runs"], 2);
  EXPECT_EQ(shares["parameters"][0]["name"], "scale");
  EXPECT_DOUBLE_EQ(shares["parameters"][0]["importance"].get<double>(), 1.0);
  EXPECT_EQ(shares["parameters"][1]["name"], "label");
  EXPECT_DOUBLE_EQ(shares["parameters"][1]["importance"].get<double>(), 0.0);
  EXPECT_EQ(client.Get("/api/sweeps/s/importance")->status, 400) << "the sweep names no metric";
  EXPECT_EQ(client.Get("/api/sweeps/s/importance?metric=nope")->status, 400);

  // The page's files, embedded, with their types; only those.
  auto script = client.Get("/static/vendor/uPlot.iife.min.js");
  ASSERT_TRUE(script);
  EXPECT_EQ(script->status, 200);
  EXPECT_EQ(script->get_header_value("Content-Type"), "text/javascript; charset=utf-8");
  EXPECT_NE(script->body.find("uPlot"), std::string::npos);
  EXPECT_EQ(client.Get("/static/app.css")->get_header_value("Content-Type"), "text/css; charset=utf-8");
  auto page = client.Get("/");
  EXPECT_EQ(page->get_header_value("Content-Type"), "text/html; charset=utf-8");
  EXPECT_NE(page->body.find("<script src=\"/static/app.js\" type=\"module\">"), std::string::npos) << page->body;
  EXPECT_EQ(page->body.find("<script>"), std::string::npos) << "no inline script";
  EXPECT_EQ(client.Get("/static/nope.js")->status, 404);
  EXPECT_EQ(client.Get("/static/../CMakeLists.txt")->status, 404);
  EXPECT_EQ(client.Get("/static/%2e%2e/%2e%2e/etc/passwd")->status, 404);

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
  EXPECT_EQ(client.Get("/api/sweeps", {{"Authorization", "bearer " + token}})->status, 200) << "any case";
  EXPECT_EQ(client.Get("/api/sweeps", {{"Authorization", "Basic " + token}})->status, 401);
  EXPECT_EQ(client.Get("/")->status, 401);
  // The page's code holds no data, and its <script> tags cannot carry the token.
  EXPECT_EQ(client.Get("/static/app.js")->status, 200);
}

// What a hostile client or a second server could do: a page whose name the
// attacker points at 127.0.0.1 (DNS rebinding), a Range header that cuts an
// API answer or multiplies a file, a second server on the same port, a port
// out of range, a list that names one item twice.
TEST_F(Serve, HostileRequestsAndASecondServerAreRefused) {
  const std::string url = start();
  auto [host, port] = host_port(url);
  httplib::Client client(host, port);
  EXPECT_EQ(client.Get("/api/sweeps", {{"Host", "evil.example:" + std::to_string(port)}})->status, 403);
  EXPECT_EQ(client.Get("/", {{"Host", "evil.example"}})->status, 403);
  EXPECT_EQ(client.Get("/api/sweeps", {{"Host", "LOCALHOST:" + std::to_string(port)}})->status, 200);
  EXPECT_EQ(client.Get("/api/sweeps", {{"Host", "[::1]:" + std::to_string(port)}})->status, 200);
  // RFC 9112: HTTP/1.1 needs exactly one Host; HTTP/1.0 has none to give.
  EXPECT_EQ(status_line_of_raw_request(port, "GET /api/sweeps HTTP/1.1\r\n\r\n"), "HTTP/1.1 400 Bad Request");
  EXPECT_EQ(status_line_of_raw_request(port, "GET /api/sweeps HTTP/1.1\r\nHost: evil.example\r\nHost: localhost\r\n\r\n"),
            "HTTP/1.1 400 Bad Request");
  EXPECT_EQ(status_line_of_raw_request(port, "GET /api/sweeps HTTP/1.0\r\n\r\n"), "HTTP/1.1 200 OK");

  const auto whole = client.Get("/api/sweeps");
  const auto ranged = client.Get("/api/sweeps", {{"Range", "bytes=0-10"}});
  ASSERT_TRUE(whole && ranged);
  EXPECT_EQ(ranged->status, 200);
  EXPECT_EQ(ranged->body, whole->body) << "whole answers only";
  std::string many = "bytes=0-";
  for (int i = 0; i < 200; ++i) many += ",0-";
  const auto script = client.Get("/static/vendor/uPlot.iife.min.js");
  const auto multiplied = client.Get("/static/vendor/uPlot.iife.min.js", {{"Range", many}});
  ASSERT_TRUE(script && multiplied);
  EXPECT_EQ(multiplied->body.size(), script->body.size());

  const auto post = client.Post("/api/sweeps", "", "text/plain");
  ASSERT_TRUE(post);
  EXPECT_EQ(post->status, 405);
  EXPECT_EQ(post->get_header_value("Allow"), "GET, HEAD");

  // A '=' typed into a query value unencoded stays in it (httplib alone kept
  // only what follows the last '=': "where=scale>=2" read as "2"). '&', '+'
  // and '#' still need encoding, as in any URL.
  const auto encoded = client.Get("/api/runs?sweep=s&where=scale%3E%3D2");
  const auto typed = client.Get("/api/runs?sweep=s&where=scale>=2");
  ASSERT_TRUE(encoded && typed);
  ASSERT_EQ(encoded->status, 200) << encoded->body;
  EXPECT_EQ(nlohmann::json::parse(encoded->body).size(), 1u) << encoded->body;
  EXPECT_EQ(typed->body, encoded->body);

  // A list naming a sweep or a metric twice answers it once.
  auto report = nlohmann::json::parse(client.Get("/api/report?sweep=s,s&metric=accuracy")->body);
  EXPECT_EQ(report["sweeps"], nlohmann::json::array({"s"})) << report.dump().substr(0, 300);
  auto curve = client.Get("/api/runs/1/metrics?names=loss,loss");
  ASSERT_TRUE(curve);
  EXPECT_EQ(std::count(curve->body.begin(), curve->body.end(), ':'), 1) << curve->body;

  // A second server on the same port fails at start, as the first holds it.
  auto second = testing::run_command({testing::headroom_binary(), "--db", (folder_.path() / database_).string(), "serve",
                                      "--port", std::to_string(port)},
                                     folder_.path());
  EXPECT_NE(second.exit_status, 0);
  EXPECT_NE(second.err.find("cannot listen"), std::string::npos) << second.err;
  auto wrapped = testing::run_command({testing::headroom_binary(), "--db", (folder_.path() / database_).string(), "serve",
                                       "--port", "70000"},
                                      folder_.path());
  EXPECT_NE(wrapped.exit_status, 0);
  EXPECT_NE(wrapped.err.find("70000"), std::string::npos) << wrapped.err;
}

// A token of the user's own is printed as a URL can carry it.
TEST_F(Serve, AGivenTokenIsPrintedEncodedAndAccepted) {
  const std::string url = start({"--host", "0.0.0.0", "--token", "a&b c#"});
  EXPECT_NE(url.find("?token=a%26b%20c%23"), std::string::npos) << url;
  httplib::Client client("127.0.0.1", host_port(url).second);
  EXPECT_EQ(client.Get("/api/sweeps?token=a%26b%20c%23")->status, 200);
  EXPECT_EQ(client.Get("/api/sweeps?token=a")->status, 401);
}

TEST_F(Serve, ManyRunsCurvesComeInOneAnswerEqualToEachRunsOwn) {
  auto [host, port] = host_port(start());
  httplib::Client client(host, port);
  auto rows = nlohmann::json::parse(client.Get("/api/runs?sweep=s&sort=run")->body);
  ASSERT_EQ(rows.size(), 2u);
  const std::string first = std::to_string(rows[0]["run"].get<int>()), second = std::to_string(rows[1]["run"].get<int>());
  auto both = client.Get("/api/curves?runs=" + first + "," + second + "&names=loss,accuracy");
  ASSERT_TRUE(both);
  ASSERT_EQ(both->status, 200) << both->body;
  auto curves = nlohmann::json::parse(both->body);
  EXPECT_EQ(curves.size(), 2u);
  for (const auto& row : rows) {
    const std::string run = std::to_string(row["run"].get<int>());
    auto own = nlohmann::json::parse(client.Get("/api/runs/" + run + "/metrics?names=loss,accuracy")->body);
    EXPECT_EQ(curves[run], own) << run;
    // The worker logs scale / (k + 1) at step k: every double reads back as logged (1/3 included).
    ASSERT_EQ(curves[run]["loss"].size(), 5u);
    const double scale = row["scale"];
    for (int k = 0; k < 5; ++k) {
      EXPECT_EQ(curves[run]["loss"][k][0], k);
      EXPECT_EQ(curves[run]["loss"][k][1].get<double>(), scale / (k + 1)) << run << " step " << k;
    }
  }
  // Never compressed: httplib's brotli took seconds for a few MB (docs/results/dashboard-bench.md).
  auto offered = client.Get("/api/curves?runs=" + first + "&names=loss", {{"Accept-Encoding", "gzip, deflate, br"}});
  ASSERT_TRUE(offered);
  EXPECT_FALSE(offered->has_header("Content-Encoding")) << offered->get_header_value("Content-Encoding");
  EXPECT_EQ(client.Get("/api/curves?runs=" + first)->status, 400) << "the metrics must be named";
  EXPECT_EQ(client.Get("/api/curves?runs=" + first + ",x&names=loss")->status, 400);
  EXPECT_EQ(client.Get("/api/curves?runs=" + first + ",999&names=loss")->status, 404);
  std::string many = first;
  for (int i = 1000; i < 2000; ++i) many += "," + std::to_string(i);
  EXPECT_EQ(client.Get("/api/curves?runs=" + many + "&names=loss")->status, 400) << "at most 1,000 runs at once";
  EXPECT_EQ(client.Get("/api/curves?runs=" + first + "," + first + "&names=loss")->body,
            client.Get("/api/curves?runs=" + first + "&names=loss")->body)
      << "a run asked twice is answered once";
}

// The paper view's report is computed at each request: a sweep whose runs
// have not logged the metric waits, and the report follows the runs as they
// go and come.
TEST_F(Serve, TheReportWaitsForItsMetricAndFollowsTheRuns) {
  auto [host, port] = host_port(start());
  httplib::Client client(host, port);
  auto waiting = client.Get("/api/report");
  ASSERT_TRUE(waiting);
  ASSERT_EQ(waiting->status, 200) << waiting->body;
  auto body = nlohmann::json::parse(waiting->body);
  EXPECT_EQ(body["sweeps"], nlohmann::json::array());
  ASSERT_EQ(body["waiting"].size(), 1u);
  EXPECT_EQ(body["waiting"][0]["sweep"], "s");
  EXPECT_NE(body["waiting"][0]["reason"].get<std::string>().find("eval/accuracy"), std::string::npos) << waiting->body;
  EXPECT_EQ(client.Get("/api/report?sweep=nope")->status, 400);

  auto succeeded = [&] {
    auto report = nlohmann::json::parse(client.Get("/api/report?sweep=s&metric=accuracy")->body);
    EXPECT_EQ(report["sweeps"], nlohmann::json::array({"s"}));
    EXPECT_EQ(report["claims"], nlohmann::json::array()) << "a program of its own has no attention to compare";
    EXPECT_FALSE(report["sections"][0]["figures"].empty());
    return report["sections"][0]["succeeded_runs"].get<int>();
  };
  EXPECT_EQ(succeeded(), 2);
  const std::string database = (folder_.path() / database_).string();
  auto rows = nlohmann::json::parse(client.Get("/api/runs?sweep=s")->body);
  auto deleted = testing::run_command({testing::headroom_binary(), "--db", database, "delete", "run",
                                       std::to_string(rows[0]["run"].get<int>()), "--yes"}, folder_.path());
  ASSERT_EQ(deleted.exit_status, 0) << deleted.err;
  EXPECT_EQ(succeeded(), 1);
  auto resumed = testing::run_command({testing::headroom_binary(), "--db", database, "resume", "s", "--quiet"}, folder_.path());
  ASSERT_EQ(resumed.exit_status, 0) << resumed.err;
  EXPECT_EQ(succeeded(), 2);
}

// The committed database of the paper's sweeps (docs/results/data), at its
// older schema version, migrated in a copy as scripts/results does.
class ServePaperSweeps : public ServeProcess {
 protected:
  void SetUp() override {
    database_ = "results.db";
    fs::copy_file(fs::path(HEADROOM_SOURCE_DIR) / "docs/results/data/results.db", folder_.path() / database_);
    auto migrated = testing::run_command(
        {testing::headroom_binary(), "--db", (folder_.path() / database_).string(), "db", "migrate", "--no-backup"},
        folder_.path());
    ASSERT_EQ(migrated.exit_status, 0) << migrated.err;
  }
};

// The rows of a CSV file as `format_table` writes it (quoted fields may hold commas and "").
std::vector<std::vector<std::string>> csv_rows(const std::string& text) {
  std::vector<std::vector<std::string>> rows(1, std::vector<std::string>(1));
  bool quoted = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted && c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
      rows.back().back() += '"';
      ++i;
    } else if (c == '"') {
      quoted = !quoted;
    } else if (!quoted && c == ',') {
      rows.back().emplace_back();
    } else if (!quoted && c == '\n') {
      rows.emplace_back(1);
    } else {
      rows.back().back() += c;
    }
  }
  if (rows.back().size() == 1 && rows.back()[0].empty()) rows.pop_back();
  return rows;
}

Figure figure_from(const nlohmann::json& json) {
  Figure figure;
  figure.id = json["id"];
  figure.caption = json["caption"];
  figure.x_label = json["x_label"];
  figure.y_label = json["y_label"];
  figure.log_x = json["log_x"];
  for (const auto& line : json["series"]) {
    FigureSeries series;
    series.title = line["title"];
    series.color = line["color"];
    series.dashed = line["dashed"];
    for (const auto& point : line["points"]) series.points.push_back({point[0], point[1], point[2]});
    figure.series.push_back(std::move(series));
  }
  return figure;
}

// What the paper view shows is what `headroom report` wrote into
// docs/results/paper (which scripts/results --check keeps equal to the
// data): every figure's data and script byte for byte, and every distinct
// claim with its verdicts and interval; the rank stays under its cap.
TEST_F(ServePaperSweeps, TheReportAnswerIsWhatHeadroomReportWrote) {
  const fs::path committed = fs::path(HEADROOM_SOURCE_DIR) / "docs/results/paper";
  // The sweeps the committed report covers, in its order, as its title names them.
  const std::string markdown = testing::read_file(committed / "report.md");
  const std::string title = markdown.substr(0, markdown.find('\n'));
  const std::string prefix = "# Headroom report: ";
  ASSERT_EQ(title.rfind(prefix, 0), 0u) << title;
  std::vector<std::string> sweeps;
  std::string list;
  for (size_t start = prefix.size(); start < title.size();) {
    const size_t comma = std::min(title.find(", ", start), title.size());
    sweeps.push_back(title.substr(start, comma - start));
    list += (list.empty() ? "" : ",") + sweeps.back();
    start = comma + 2;
  }
  ASSERT_GE(sweeps.size(), 7u) << title;
  auto [host, port] = host_port(start());
  httplib::Client client(host, port);
  auto answer = client.Get("/api/report?sweep=" + list);
  ASSERT_TRUE(answer);
  ASSERT_EQ(answer->status, 200) << answer->body;
  const auto report = nlohmann::json::parse(answer->body);
  EXPECT_EQ(report["sweeps"], nlohmann::json(sweeps));
  EXPECT_EQ(report["waiting"], nlohmann::json::array());

  size_t figures = 0, distinct = 0, rank_figures = 0;
  for (const auto& section : report["sections"]) {
    for (const auto& json : section["figures"]) {
      const Figure figure = figure_from(json);
      EXPECT_EQ(gnuplot_data(figure), testing::read_file(committed / (figure.id + ".dat"))) << figure.id;
      EXPECT_EQ(gnuplot_script(figure), testing::read_file(committed / (figure.id + ".gp"))) << figure.id;
      ++figures;
      if (figure.id.ends_with("-rank")) {
        ++rank_figures;
        ASSERT_TRUE(figure.series.back().dashed) << figure.id << ": the cap, last";
        for (const auto& point : figure.series.back().points) EXPECT_LE(point.y, point.x) << "min(head_size, seq_len)";
      }
    }
    ASSERT_FALSE(section["ranks"].empty()) << section["sweep"];
    for (const auto& rank : section["ranks"]) {
      EXPECT_LE(rank["cap"].get<int>(), rank["head_size"].get<int>());
      EXPECT_LE(rank["numerical"].get<double>(), rank["cap"].get<double>() + 0.5) << rank;
      EXPECT_LE(rank["effective"].get<double>(), rank["numerical"].get<double>() + 1e-9) << rank;
    }
    // The section's claims CSV: a row whose first source is this sweep is a distinct claim.
    const auto rows = csv_rows(testing::read_file(committed / (section["sweep"].get<std::string>() + "-claims.csv")));
    for (size_t i = 1; i < rows.size(); ++i) {
      if (rows[i][13].substr(0, rows[i][13].find(' ')) == section["sweep"]) ++distinct;
    }
  }
  size_t committed_figures = 0, committed_rank_figures = 0;
  for (const auto& entry : fs::directory_iterator(committed)) {
    if (entry.path().extension() != ".dat") continue;
    ++committed_figures;
    if (entry.path().stem().string().ends_with("-rank")) ++committed_rank_figures;
  }
  EXPECT_EQ(figures, committed_figures) << "every figure of docs/results/paper";
  EXPECT_EQ(rank_figures, committed_rank_figures);
  EXPECT_GE(rank_figures, 6u);
  ASSERT_EQ(report["claims"].size(), distinct);
  for (const auto& claim : report["claims"]) {
    const auto rows = csv_rows(testing::read_file(committed / (claim["sources"][0].get<std::string>() + "-claims.csv")));
    const auto& header = rows[0];
    auto column = [&](const std::vector<std::string>& row, const std::string& name) {
      return row[size_t(std::find(header.begin(), header.end(), name) - header.begin())];
    };
    auto row = std::find_if(rows.begin() + 1, rows.end(), [&](const auto& candidate) {
      return column(candidate, "claim") == claim["statement"] && column(candidate, "finding") == claim["finding"];
    });
    ASSERT_NE(row, rows.end()) << claim;
    EXPECT_EQ(column(*row, "verdict"), claim["verdict"]);
    EXPECT_EQ(column(*row, "holm_verdict"), claim["holm_verdict"]);
    std::string sources;
    for (const auto& source : claim["sources"]) sources += (sources.empty() ? "" : " ") + source.get<std::string>();
    EXPECT_EQ(column(*row, "sources"), sources);
    if (claim["advantage"].is_null()) {
      EXPECT_EQ(column(*row, "advantage"), "") << claim;
      continue;
    }
    EXPECT_DOUBLE_EQ(std::stod(column(*row, "advantage")), claim["advantage"]["estimate"].get<double>());
    EXPECT_DOUBLE_EQ(std::stod(column(*row, "low")), claim["advantage"]["low"].get<double>());
    EXPECT_DOUBLE_EQ(std::stod(column(*row, "high")), claim["advantage"]["high"].get<double>());
    EXPECT_EQ(column(*row, "method"), claim["advantage"]["method"]);
  }
}

// Enough runs to be read by several threads, each over its own connection:
// every run's curves as its own answer gives them, in the order asked.
TEST_F(ServePaperSweeps, ManyRunsCurvesReadInParallelEqualEachRunsOwn) {
  auto [host, port] = host_port(start());
  httplib::Client client(host, port);
  auto rows = nlohmann::json::parse(
      client.Get("/api/runs?sweep=paper-heads,paper-matched-heads&where=state%20%3D%20'succeeded'&columns=run")->body);
  ASSERT_EQ(rows.size(), 70u) << "two threads read them";
  std::string runs;
  for (const auto& row : rows) runs += (runs.empty() ? "" : ",") + std::to_string(row["run"].get<int>());
  auto answer = client.Get("/api/curves?runs=" + runs + "," + runs + "&names=eval/accuracy,train/loss");
  ASSERT_TRUE(answer);
  ASSERT_EQ(answer->status, 200);
  const auto curves = nlohmann::ordered_json::parse(answer->body);
  ASSERT_EQ(curves.size(), rows.size()) << "each run once, asked twice";
  size_t i = 0;
  for (const auto& [run, own] : curves.items()) {
    EXPECT_EQ(run, std::to_string(rows[i++]["run"].get<int>()));
    EXPECT_EQ(own, nlohmann::ordered_json::parse(
                       client.Get("/api/runs/" + run + "/metrics?names=eval/accuracy,train/loss")->body));
    EXPECT_FALSE(own["train/loss"].empty()) << run;
  }
}

// The page in a real browser: it fetches the sweeps and a sweep's runs and
// shows them, logs no error, and the payload among the parameters is text.
TEST_F(Serve, ThePageShowsTheSweepAndItsRunsAndAPayloadStaysText) {
  if (!testing::chromium_binary()) GTEST_SKIP() << "Chromium is not installed (scripts/test installs it)";
  const std::string url = start();
  auto page = testing::render_in_chromium(url + "?sweep=s", 3000);
  EXPECT_NE(page.dom.find("data-view=\"\">s</a></td>"), std::string::npos) << page.dom;
  EXPECT_NE(page.dom.find("Runs of s"), std::string::npos);
  EXPECT_NE(page.dom.find("&lt;img src=x onerror="), std::string::npos) << "escaped as text:\n" << page.dom;
  EXPECT_EQ(page.dom.find("<img"), std::string::npos) << "no element made from data";
  EXPECT_EQ(page.dom.find("<title>owned</title>"), std::string::npos);
  for (const auto& message : page.console_messages) ADD_FAILURE() << "console: " << message;
}

}  // namespace
}  // namespace headroom
