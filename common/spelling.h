#pragma once
// Spelling suggestions for unknown names ("did you mean ...") in configs,
// sweep files and the CLI.

#include <string>
#include <string_view>
#include <vector>

namespace headroom {

// Returns the candidate closest to `name` by edit distance, or "" when none is
// close enough to be a plausible typo (distance above a third of the length).
std::string closest_name(std::string_view name, const std::vector<std::string>& candidates);

// " (did you mean 'x'?)" when a close candidate exists, otherwise "".
std::string did_you_mean(std::string_view name, const std::vector<std::string>& candidates);

}  // namespace headroom
