#include "orchestrator/serve/importance.h"

#include <algorithm>
#include <map>

namespace headroom {
namespace {

// A parameter's value, ordered as levels are listed: numbers ascending, then
// any other value by its text.
struct ValueKey {
  bool is_number = false;
  double number = 0;
  std::string text;

  bool operator<(const ValueKey& other) const {
    if (is_number != other.is_number) return is_number;
    return is_number ? number < other.number : text < other.text;
  }
};

std::string label_of(const nlohmann::json& value) {
  if (value.is_null()) return "(none)";
  if (value.is_string()) return value.get<std::string>();
  return value.dump();
}

ValueKey key_of(const nlohmann::json& value) {
  if (value.is_number()) return {true, value.get<double>(), {}};
  return {false, 0, value.is_null() ? std::string() : value.dump()};
}

struct Group {
  std::string label;
  std::vector<size_t> members;  // indices into the samples
};

nlohmann::json value_in(const ImportanceSample& sample, const std::string& parameter) {
  auto found = sample.parameters.find(parameter);
  return found == sample.parameters.end() ? nlohmann::json() : *found;
}

// Bins of nearly equal counts by rank; equal values always share a bin, so a
// bin boundary never splits a value.
std::vector<Group> bins_by_rank(std::vector<std::pair<double, size_t>> values) {
  std::sort(values.begin(), values.end());
  std::vector<Group> bins;
  size_t start = 0;
  for (size_t bin = 0; bin < kMaxLevels && start < values.size(); ++bin) {
    size_t end = std::max(start + 1, (bin + 1) * values.size() / kMaxLevels);
    while (end < values.size() && values[end].first == values[end - 1].first) ++end;
    Group group;
    group.label = nlohmann::json(values[start].first).dump() + ".." +
                  nlohmann::json(values[end - 1].first).dump();
    for (size_t i = start; i < end; ++i) group.members.push_back(values[i].second);
    bins.push_back(std::move(group));
    start = end;
  }
  return bins;
}

// The samples grouped by their value of `parameter` (binned when it is
// numeric with many values); `binned` says which.
std::vector<Group> group_by_value(const std::vector<ImportanceSample>& samples,
                                  const std::string& parameter, bool& binned) {
  std::map<ValueKey, Group> groups;
  bool all_numbers = true;
  std::vector<std::pair<double, size_t>> numbers;
  for (size_t i = 0; i < samples.size(); ++i) {
    const nlohmann::json value = value_in(samples[i], parameter);
    all_numbers = all_numbers && value.is_number();
    if (value.is_number()) numbers.emplace_back(value.get<double>(), i);
    Group& group = groups[key_of(value)];
    if (group.members.empty()) group.label = label_of(value);
    group.members.push_back(i);
  }
  binned = all_numbers && groups.size() > kMaxLevels;
  if (binned) return bins_by_rank(std::move(numbers));
  std::vector<Group> ordered;
  for (auto& [key, group] : groups) ordered.push_back(std::move(group));
  return ordered;
}

}  // namespace

std::vector<ParameterImportance> main_effects(const std::vector<ImportanceSample>& samples,
                                              const std::vector<std::string>& parameters) {
  double mean = 0;
  for (const auto& sample : samples) mean += sample.metric;
  if (!samples.empty()) mean /= double(samples.size());
  double total = 0;
  for (const auto& sample : samples) total += (sample.metric - mean) * (sample.metric - mean);
  // Relative to the metric's scale, so that rounding noise in a constant metric is not "variance".
  const bool varies =
      samples.size() >= 2 && total > 1e-24 * std::max(1.0, mean * mean) * double(samples.size());

  std::vector<ParameterImportance> result;
  for (const auto& parameter : parameters) {
    ParameterImportance item;
    item.parameter = parameter;
    double between = 0;
    for (const auto& group : group_by_value(samples, parameter, item.binned)) {
      double sum = 0;
      for (size_t i : group.members) sum += samples[i].metric;
      const double group_mean = sum / double(group.members.size());
      between += double(group.members.size()) * (group_mean - mean) * (group_mean - mean);
      item.levels.push_back({group.label, group_mean, int64_t(group.members.size())});
    }
    if (varies) item.importance = std::clamp(between / total, 0.0, 1.0);
    result.push_back(std::move(item));
  }
  std::stable_sort(result.begin(), result.end(),
                   [](const ParameterImportance& a, const ParameterImportance& b) {
                     if (a.importance.has_value() != b.importance.has_value())
                       return a.importance.has_value();
                     if (a.importance && *a.importance != *b.importance)
                       return *a.importance > *b.importance;
                     return a.parameter < b.parameter;
                   });
  return result;
}

}  // namespace headroom
