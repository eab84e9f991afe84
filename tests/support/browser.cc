#include "tests/support/browser.h"

#include <map>
#include <regex>
#include <sstream>
#include <stdexcept>

#include <boost/process.hpp>

#include "tests/support/test_support.h"

namespace headroom::testing {

namespace bp = boost::process;

std::optional<std::string> chromium_binary() {
  for (const char* name : {"chromium", "chromium-browser"}) {
    auto path = bp::search_path(name);
    if (!path.empty()) return path.string();
  }
  return std::nullopt;
}

RenderedPage render_in_chromium(const std::string& url, int virtual_ms) {
  auto chromium = chromium_binary();
  if (!chromium) throw std::runtime_error("Chromium is not installed (scripts/test installs it)");
  TemporaryFolder profile;
  // The flags a sandboxed machine without a network or a display needs; the
  // background services would otherwise fail to reach Google's hosts.
  std::vector<std::string> argv = {*chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                                   "--no-first-run", "--disable-background-networking", "--disable-component-update",
                                   "--disable-sync", "--user-data-dir=" + profile.path().string(),
                                   "--enable-logging=stderr", "--v=0", "--dump-dom"};
  if (virtual_ms > 0) argv.push_back("--virtual-time-budget=" + std::to_string(virtual_ms));
  argv.push_back(url);
  auto result = run_command(argv, profile.path());
  if (result.exit_status != 0) {
    throw std::runtime_error("chromium exited " + std::to_string(result.exit_status) + ":\n" + result.err);
  }
  RenderedPage page;
  page.dom = result.out;
  std::istringstream log(result.err);
  for (std::string line; std::getline(log, line);) {
    if (line.find(":CONSOLE") != std::string::npos) page.console_messages.push_back(line);
  }
  return page;
}

std::vector<std::string> duplicate_ids(const std::string& html) {
  static const std::regex id(R"(\sid=["']([^"']+)["'])");
  std::map<std::string, int> counts;
  for (std::sregex_iterator it(html.begin(), html.end(), id), end; it != end; ++it) ++counts[(*it)[1]];
  std::vector<std::string> repeated;
  for (const auto& [name, count] : counts) {
    if (count > 1) repeated.push_back(name);
  }
  return repeated;
}

}  // namespace headroom::testing
