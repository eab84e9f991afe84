#pragma once
// Debian's Chromium, headless, for tests that look at a page as a browser
// renders it: the DOM after parsing and what the page logged to its console.

#include <optional>
#include <string>
#include <vector>

namespace headroom::testing {

struct RenderedPage {
  std::string dom;                            // the document after parsing and scripts
  std::vector<std::string> console_messages;  // every console message (errors, uncaught exceptions, ...)
};

// The Chromium executable, or nullopt when none is installed (scripts/test installs it).
std::optional<std::string> chromium_binary();

// Loads `url` in headless Chromium (a fresh profile, no network services) and
// returns its DOM and console. `virtual_ms` > 0 lets the page's timers and
// requests run for that much virtual time first (a page that fetches its
// content). Throws std::runtime_error when Chromium fails.
RenderedPage render_in_chromium(const std::string& url, int virtual_ms = 0);

// The ids that appear more than once in `html`.
std::vector<std::string> duplicate_ids(const std::string& html);

}  // namespace headroom::testing
