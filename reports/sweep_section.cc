#include "reports/sweep_section.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <filesystem>
#include <map>
#include <optional>
#include <set>

#include "common/number_format.h"

namespace headroom {
namespace {

// headroom-train's cells have a model size; a program's model is its own
// (its size is unknown, 0), and the paper's columns and words do not apply.
bool sizes_known(const SweepResults& results) {
  return std::any_of(results.configurations.begin(), results.configurations.end(),
                     [](const Configuration& configuration) { return configuration.parameter_count > 0; });
}


std::string slug_of(const std::string& name) {
  std::string slug;
  for (char c : name) slug += std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' ? c : '_';
  return slug;
}

// A path as a report names it: relative to the current folder (the
// repository, for committed reports) when under it, else the file name alone,
// so a report names no folder of the machine it was made on.
std::string shown_path(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code error;
  const fs::path absolute = fs::weakly_canonical(fs::absolute(path, error), error);
  const fs::path here = fs::weakly_canonical(fs::current_path(error), error);
  if (!error) {
    const fs::path relative = absolute.lexically_relative(here);
    if (!relative.empty() && *relative.begin() != "..") return relative.string();
  }
  return fs::path(path).filename().string();
}

std::string value_text(const nlohmann::json& value) {
  return value.is_string() ? value.get<std::string>() : value.dump();
}

// A configuration's value of `key`: a config setting or one of its sizes.
std::optional<double> value_of(const Configuration& configuration, const std::string& key) {
  if (key == "non_embedding_parameters") return double(configuration.non_embedding_parameters);
  if (key == "parameter_count" || key == "parameters") return double(configuration.parameter_count);
  return configuration.number(key);
}

bool has_key(const SweepResults& results, const std::string& key) {
  if (key == "non_embedding_parameters" || key == "parameter_count" || key == "parameters") return true;
  for (const auto& configuration : results.configurations) {
    if (configuration.config.contains(key)) return true;
  }
  return false;
}

class SectionBuilder {
 public:
  SectionBuilder(Store& store, SweepSection& section, const SectionOptions& options)
      : store_(store), section_(section), options_(options) {
    for (const auto& configuration : section.results.configurations) {
      if (!configuration.finals(section.goal.name).empty()) measured_.push_back(&configuration);
    }
  }

  bool anything_measured() const { return !measured_.empty(); }

  // Distinct values of a key among measured configurations.
  std::set<std::string> distinct(const std::string& key) const {
    std::set<std::string> values;
    for (const auto* configuration : measured_) {
      auto value = value_of(*configuration, key);
      values.insert(value ? significant(*value) : configuration->text(key));
    }
    return values;
  }
  bool varies(const std::string& key) const { return distinct(key).size() > 1; }

  // The line a configuration belongs to when `x` is on the horizontal axis.
  std::string series_label(const Configuration& configuration, const std::string& x) const {
    std::vector<std::string> keys;
    if (!options_.series.empty()) {
      keys = {options_.series};
    } else {
      for (const auto& key : section_.results.swept) {
        // Standard attention derives its head size from d_model and heads: no line of its own.
        if (key == "head_size" && derives_head_size()) continue;
        if (key != x && varies(key)) keys.push_back(key);
      }
      if (keys.empty() && configuration.config.contains("attention")) keys = {"attention"};
    }
    std::string label;
    for (const auto& key : keys) {
      label += (label.empty() ? "" : ", ") + key + "=" +
               (configuration.config.contains(key) ? value_text(configuration.config[key]) : "-");
    }
    return label.empty() ? section_.goal.name : label;
  }

  bool derives_head_size() const {
    for (const auto* configuration : measured_) {
      if (configuration->text("attention") == "standard") return true;
    }
    return false;
  }

  // Final metric against `x`, one line per series (per `series_key` when
  // given: "attention" for figures whose caption promises one line per
  // attention kind), bars one standard deviation over seeds.
  void metric_figure(const std::string& name, const std::string& x, const std::string& x_label, bool log_x,
                     const std::string& caption, const std::string& series_key = "") {
    std::map<std::string, std::map<double, std::vector<double>>> lines;
    for (const auto* configuration : measured_) {
      auto x_value = value_of(*configuration, x);
      if (!x_value) continue;
      const std::string series = series_key.empty() || !options_.series.empty()
                                     ? series_label(*configuration, x)
                                     : series_key + "=" + configuration->text(series_key);
      auto& values = lines[series][*x_value];
      for (double v : configuration->finals(section_.goal.name)) values.push_back(v);
    }
    Figure figure;
    figure.id = section_.slug + "-" + name;
    figure.caption = caption;
    figure.x_label = x_label;
    figure.y_label = "final " + section_.goal.name;
    figure.log_x = log_x;
    for (const auto& [label, points] : lines) {
      FigureSeries series;
      series.title = label;
      for (const auto& [x_value, values] : points) {
        Summary summary = summarize(values);
        series.points.push_back({x_value, summary.mean, summary.standard_deviation});
      }
      figure.series.push_back(std::move(series));
    }
    section_.figures.push_back(std::move(figure));
  }

  // The logits' measured rank against head size, beside the cap.
  void rank_figure() {
    std::map<std::string, std::map<double, std::vector<double>>> lines;
    std::map<double, double> bound;
    for (const auto& configuration : section_.results.configurations) {
      auto head_size = configuration.number("head_size"), seq_len = configuration.number("seq_len");
      if (!head_size || !seq_len) continue;
      for (const auto& replicate : configuration.replicates) {
        for (const auto& [name, value] : replicate.finals) {
          if (name.rfind("rank/numerical/", 0) != 0) continue;
          lines["attention=" + configuration.text("attention")][*head_size].push_back(value);
          bound[*head_size] = std::min(*head_size, *seq_len);
        }
      }
    }
    if (bound.size() < 2) return;
    Figure figure;
    figure.id = section_.slug + "-rank";
    figure.caption = "Numerical rank of the attention logits (mean over layers and seeds at the last "
                     "evaluation) against head size, beside the cap min(head_size, seq_len) that Theorem 1 "
                     "rests on.";
    figure.x_label = "head size";
    figure.y_label = "rank of the attention logits";
    figure.log_x = true;
    for (const auto& [label, points] : lines) {
      FigureSeries series;
      series.title = label;
      for (const auto& [x, values] : points) {
        Summary summary = summarize(values);
        series.points.push_back({x, summary.mean, summary.standard_deviation});
      }
      figure.series.push_back(std::move(series));
    }
    FigureSeries limit;
    limit.title = "cap min(head_size, seq_len)";
    limit.dashed = true;
    for (const auto& [x, y] : bound) limit.points.push_back({x, y, 0});
    figure.series.push_back(std::move(limit));
    section_.figures.push_back(std::move(figure));
  }

  // The metric's curve over training, mean over seeds.
  Status curves_figure(const std::string& main_x) {
    std::vector<const Configuration*> chosen;
    for (const auto& prefix : options_.curve_cells) {
      const Configuration* match = nullptr;
      for (const auto* configuration : measured_) {
        for (const auto& replicate : configuration->replicates) {
          if (replicate.cell_hash.rfind(prefix, 0) == 0) match = configuration;
        }
      }
      if (!match) {
        return Error::invalid("--curve " + prefix + ": no cell of sweep '" + section_.results.sweep.name +
                              "' with a succeeded run has a hash starting with it");
      }
      if (std::find(chosen.begin(), chosen.end(), match) == chosen.end()) chosen.push_back(match);
    }
    if (chosen.empty() && !main_x.empty()) {
      double largest = -INFINITY;
      for (const auto* configuration : measured_) largest = std::max(largest, value_of(*configuration, main_x).value_or(-INFINITY));
      for (const auto* configuration : measured_) {
        if (value_of(*configuration, main_x).value_or(-INFINITY) == largest) chosen.push_back(configuration);
      }
    }
    if (chosen.empty()) {
      for (const auto* configuration : measured_) {
        if (chosen.size() < 6) chosen.push_back(configuration);
      }
    }
    Figure figure;
    figure.id = section_.slug + "-curves";
    figure.caption = section_.goal.name + " during training (mean over seeds) for " +
                     (options_.curve_cells.empty() && !main_x.empty() ? "the configurations with the most " + main_x
                                                                       : std::string("the chosen configurations")) +
                     " (choose others with --curve CELL)." +
                     (sizes_known(section_.results) ? " Mirrors the training curves behind the paper's Figure 3." : "");
    figure.x_label = "step";
    figure.y_label = section_.goal.name;
    for (const auto* configuration : chosen) {
      HEADROOM_ASSIGN_OR_RETURN(auto curve, mean_curve(store_, *configuration, section_.goal.name));
      FigureSeries series;
      series.title = parameters_label(*configuration);
      for (const auto& point : curve) series.points.push_back({double(point.step), point.mean, point.standard_deviation});
      if (!series.points.empty()) figure.series.push_back(std::move(series));
    }
    if (!figure.series.empty()) section_.figures.push_back(std::move(figure));
    return Ok{};
  }

  // "attention=fixed, heads=16": the swept values that tell configurations apart.
  std::string parameters_label(const Configuration& configuration) const {
    std::string label;
    for (const auto& key : section_.results.swept) {
      if (!varies(key) || !configuration.config.contains(key)) continue;
      label += (label.empty() ? "" : ", ") + key + "=" + value_text(configuration.config[key]);
    }
    return label.empty() ? section_.results.sweep.name : label;
  }

  const std::vector<const Configuration*>& measured() const { return measured_; }

 private:
  Store& store_;
  SweepSection& section_;
  const SectionOptions& options_;
  std::vector<const Configuration*> measured_;
};

// Mean of a metric's final values over a configuration's replicates, if any logged it.
std::optional<double> mean_final(const Configuration& configuration, const std::string& metric) {
  auto values = configuration.finals(metric);
  if (values.empty()) return std::nullopt;
  return summarize(values).mean;
}

nlohmann::json optional_json(std::optional<double> value) { return value ? nlohmann::json(*value) : nlohmann::json(); }

// Decimals that show `digits` significant digits of the largest magnitude: one
// precision for a whole column, so its numbers line up and compare at a glance.
int column_decimals(const std::vector<double>& values, int digits = 4) {
  double largest = 0;
  for (double v : values) largest = std::max(largest, std::fabs(v));
  if (!(largest > 0)) return digits - 1;
  return std::clamp(digits - 1 - int(std::floor(std::log10(largest))), 0, 8);
}

// A searched setting's chosen value in a configuration, for the table. Under
// the replicate protocol one seed was tuned: its value. When every seed had
// a search of its own: each tuned seed's, keyed by seed (a seed whose search
// has no best trial yet is absent). The CSV gets the value or that JSON
// object; the page the same at 4 significant digits ("seed 0: ..., seed 1:
// ..."). Nothing when the chosen trial lacks the setting.
std::pair<nlohmann::json, std::string> chosen_setting(const Configuration& configuration, const std::string& name) {
  if (!configuration.selection || configuration.selection->chosen.empty()) return {nlohmann::json(), ""};
  const auto text_of = [](const nlohmann::json& value) {
    return value.is_null()           ? std::string()
           : value.is_number_float() ? significant(value.get<double>())
           : value.is_string()       ? value.get<std::string>()
                                     : value.dump();
  };
  const auto& chosen = configuration.selection->chosen;
  const auto value_of = [&](const nlohmann::json& settings) {
    return settings.contains(name) ? settings[name] : nlohmann::json();
  };
  if (chosen.size() == 1) {
    const nlohmann::json value = value_of(chosen.begin()->second);
    return {value, text_of(value)};
  }
  nlohmann::json by_seed = nlohmann::json::object();
  std::string shown;
  for (const auto& [seed, settings] : chosen) {
    const nlohmann::json value = value_of(settings);
    by_seed[std::to_string(seed)] = value;
    shown += (shown.empty() ? "seed " : ", seed ") + std::to_string(seed) + ": " + text_of(value);
  }
  return {by_seed, shown};
}

void configuration_tables(SweepSection& section) {
  const auto& results = section.results;
  const bool sized = sizes_known(results);
  std::vector<std::string> keys = results.swept;
  if (sized && std::find(keys.begin(), keys.end(), "head_size") == keys.end()) keys.push_back("head_size");
  Table display, csv;
  display.columns = keys;
  csv.columns = keys;
  // A searched sweep's configurations are its searches' best trials: what
  // each chose is part of what it is.
  for (const auto& name : results.searched) {
    display.columns.push_back("chosen " + name);
    csv.columns.push_back("chosen_" + name);
  }
  display.columns.insert(display.columns.end(), {"seeds", section.goal.name + " (mean ± standard deviation)"});
  csv.columns.insert(csv.columns.end(), {"seeds", section.goal.name + " mean", section.goal.name + " std"});
  if (sized) {
    display.columns.insert(display.columns.end(), {"parameters", "non-embedding", "FLOPs/token"});
    csv.columns.insert(csv.columns.end(), {"parameters", "non_embedding_parameters", "flops_per_token"});
  }
  display.columns.insert(display.columns.end(), {"wall s", "tokens/s", "note"});
  csv.columns.insert(csv.columns.end(), {"wall_seconds_mean", "tokens_per_s_mean"});
  std::vector<double> means;
  for (const auto& configuration : results.configurations) {
    for (double v : configuration.finals(section.goal.name)) means.push_back(v);
  }
  const int decimals = column_decimals(means);
  for (const auto& configuration : results.configurations) {
    std::vector<nlohmann::json> shown, row;
    for (const auto& key : keys) {
      nlohmann::json value = configuration.config.contains(key) ? configuration.config[key] : nlohmann::json();
      shown.push_back(value);
      row.push_back(value);
    }
    for (const auto& name : results.searched) {
      auto [value, text] = chosen_setting(configuration, name);
      row.push_back(std::move(value));
      shown.push_back(std::move(text));
    }
    const auto values = configuration.finals(section.goal.name);
    const Summary summary = summarize(values);
    std::vector<double> seconds;
    for (const auto& replicate : configuration.replicates) seconds.push_back(replicate.seconds);
    const auto wall = seconds.empty() ? std::optional<double>() : summarize(seconds).mean;
    const auto speed = mean_final(configuration, "train/tokens_per_s");
    std::string metric_text = values.empty()        ? "-"
                              : values.size() == 1 ? fixed(summary.mean, decimals)
                                                   : fixed(summary.mean, decimals) + " ± " +
                                                         fixed(summary.standard_deviation, decimals);
    shown.insert(shown.end(), {int64_t(values.size()), metric_text});
    row.insert(row.end(), {int64_t(values.size()), values.empty() ? nlohmann::json() : nlohmann::json(summary.mean),
                           values.size() > 1 ? nlohmann::json(summary.standard_deviation) : nlohmann::json()});
    if (sized) {
      shown.insert(shown.end(), {configuration.parameter_count, configuration.non_embedding_parameters,
                                 significant(configuration.flops_per_token)});
      row.insert(row.end(), {configuration.parameter_count, configuration.non_embedding_parameters,
                             configuration.flops_per_token});
    }
    shown.insert(shown.end(), {wall ? nlohmann::json(fixed(*wall, 0)) : nlohmann::json(),
                               speed ? nlohmann::json(fixed(*speed, 0)) : nlohmann::json(),
                               configuration.at_unigram_baseline() ? "at the unigram baseline" : ""});
    row.insert(row.end(), {optional_json(wall), optional_json(speed)});
    display.rows.push_back(std::move(shown));
    csv.rows.push_back(std::move(row));
  }
  section.configurations = std::move(csv);
  section.configurations_display = std::move(display);
}

void claims_block(SweepSection& section) {
  if (section.claims.empty() && !sizes_known(section.results)) {
    section.document.paragraph("The paper's comparisons need headroom-train's attention settings, which this "
                               "sweep (of a program of its own) does not have.");
    return;
  }
  if (section.claims.empty()) {
    section.document.paragraph(
        "No comparison of the paper applies: the sweep lacks the standard and fixed head size configurations "
        "(or the head counts, widths or head sizes) that one needs.");
    return;
  }
  Table display;
  display.columns = {"#", "mirrors", "the paper's claim", "finding", "verdict (95%)", "verdict (Holm)"};
  for (const auto& claim : section.claims) {
    std::string finding = claim.finding;
    std::vector<std::string> others;
    for (const auto& source : claim.sources) {
      if (source != section.results.sweep.name) others.push_back(source);
    }
    if (!others.empty()) {
      std::string list;
      for (const auto& other : others) list += (list.empty() ? "" : ", ") + other;
      finding += " The same comparison of the same configurations comes from sweep " + list +
                 ": counted once in the verdicts.";
    }
    display.rows.push_back(
        {claim.comparison, claim.mirrors, claim.statement, finding, claim.verdict_text(false), claim.verdict_text(true)});
  }
  section.document.table(std::move(display),
                         "Each claim compares two configurations on the report's metric, paired by seed where they "
                         "share seeds, else with Welch's interval. Verdict (95%): reproduced when the 95% interval of "
                         "the predicted advantage lies above 0, not reproduced when it lies below 0, inconclusive "
                         "otherwise, with fewer than two seeds, or when the interval has no width. Verdict (Holm): the "
                         "same after Holm's correction across the report's distinct claims.");
}

// The logits' ranks against their cap, per configuration that measured them.
void rank_rows(SweepSection& section) {
  for (const auto& configuration : section.results.configurations) {
    auto head_size = configuration.number("head_size"), seq_len = configuration.number("seq_len");
    if (!head_size || !seq_len) continue;
    std::vector<double> numerical, effective;
    for (const auto& replicate : configuration.replicates) {
      for (const auto& [name, value] : replicate.finals) {
        if (name.rfind("rank/numerical/", 0) == 0) numerical.push_back(value);
        if (name.rfind("rank/effective/", 0) == 0) effective.push_back(value);
      }
    }
    if (numerical.empty() || effective.empty()) continue;
    RankRow row;
    row.attention = configuration.text("attention");
    row.heads = int64_t(configuration.number("heads").value_or(0));
    row.head_size = int64_t(*head_size);
    row.cap = int64_t(std::min(*head_size, *seq_len));
    row.numerical = summarize(numerical).mean;
    row.effective = summarize(effective).mean;
    section.ranks.push_back(row);
  }
}

void ranks_block(SweepSection& section) {
  if (section.ranks.empty()) return;
  Table table;
  table.columns = {"attention", "heads", "head_size", "cap min(head_size, seq_len)", "numerical rank",
                   "effective rank", "effective / cap"};
  std::map<std::string, std::pair<double, double>> range;  // attention and head size -> min, max of effective/cap
  for (const auto& row : section.ranks) {
    const double share = row.cap > 0 ? row.effective / double(row.cap) : 0;
    table.rows.push_back({row.attention, row.heads, row.head_size, row.cap, fixed(row.numerical, 1),
                          fixed(row.effective, 1), fixed(share, 2)});
    const std::string group = row.attention + " at head size " + std::to_string(row.head_size);
    auto [at, inserted] = range.emplace(group, std::make_pair(share, share));
    if (!inserted) at->second = {std::min(at->second.first, share), std::max(at->second.second, share)};
  }
  std::vector<std::string> parts;
  for (const auto& [group, span] : range) {
    parts.push_back(group + ": " + fixed(span.first, 2) + (span.first == span.second ? "" : "-" + fixed(span.second, 2)));
  }
  std::string summary;
  for (const auto& part : parts) summary += (summary.empty() ? "" : "; ") + part;
  section.document.table(std::move(table),
                         "Does the cap bind? The attention logits' effective rank (exp of the entropy of the "
                         "normalised singular values) against the cap min(head_size, seq_len), mean over layers and "
                         "seeds at the last evaluation. A share near 1 means the heads use all the rank they may; "
                         "well below 1, the cap does not bind. Effective rank over cap, by attention and head size: " +
                             summary + ".");
}

constexpr double kMinimumFittedSizeRatio = 2.0;

// Power law of loss against non-embedding parameters, per attention kind,
// where the sweep's sizes span at least kMinimumFittedSizeRatio.
void fit_losses(SweepSection& section) {
  const auto& results = section.results;
  std::string metric = "eval/loss";
  bool logged = false;
  for (const auto& configuration : results.configurations) logged = logged || !configuration.finals(metric).empty();
  if (!logged) {
    if (section.goal.maximize) return;
    metric = section.goal.name;
  }
  std::map<std::string, std::pair<std::vector<double>, std::vector<double>>> points;
  std::map<std::string, std::set<int64_t>> sizes;
  for (const auto& configuration : results.configurations) {
    const std::string series = configuration.config.contains("attention") ? configuration.text("attention") : "all";
    for (double loss : configuration.finals(metric)) {
      points[series].first.push_back(double(configuration.non_embedding_parameters));
      points[series].second.push_back(loss);
      sizes[series].insert(configuration.non_embedding_parameters);
    }
  }
  for (const auto& [series, xy] : points) {
    // A power law read off less than a factor of two in N says nothing about
    // scaling (the theorem-one sweep varies N by 1.3x through head size alone).
    const auto& measured = sizes[series];
    if (measured.size() < 3 || double(*measured.rbegin()) < kMinimumFittedSizeRatio * double(*measured.begin())) continue;
    if (auto fit = fit_power_law(xy.first, xy.second)) section.fits.push_back({series, *fit, xy.first, xy.second});
  }
  if (!section.fits.empty()) section.fit_metric = metric;
}

// Claim 3's two sides and what the fits predict for them.
std::string reconcile_with_claim_three(const SweepSection& section, const LossFit& fixed_fit, const LossFit& standard_fit) {
  std::string text;
  for (const auto& claim : section.claims) {
    if (claim.comparison != 3 || !claim.better || !claim.worse) continue;
    const double n_fixed = double(claim.better->non_embedding_parameters);
    const double n_standard = double(claim.worse->non_embedding_parameters);
    const double fixed_loss = fixed_fit.fit.predict(n_fixed), standard_loss = standard_fit.fit.predict(n_standard);
    text += " Claim 3 compares fixed at N = " + significant(n_fixed) + " with standard at N = " +
            significant(n_standard) + ": the fits predict " + section.fit_metric + " " + significant(fixed_loss) +
            " against " + significant(standard_loss) + " (" +
            (fixed_loss < standard_loss ? "fixed better" : "standard better") + "), and the claim's measured verdict is " +
            claim.verdict_text(true) + ".";
  }
  return text;
}

void fits_block(SweepSection& section) {
  if (section.fits.empty()) return;
  const std::string& metric = section.fit_metric;
  std::vector<std::string> lines;
  for (const auto& fit : section.fits) {
    const auto& f = fit.fit;
    lines.push_back("attention=" + fit.series + ": " + metric + " ≈ " + significant(std::pow(10, f.log10_coefficient)) +
                    " · N^" + significant(f.exponent) + ", exponent 95% interval [" + significant(f.exponent_low) +
                    ", " + significant(f.exponent_high) + "], R² " + significant(f.r_squared) + ", " +
                    std::to_string(f.points) + " runs over N = " + significant(f.min_x) + " to " +
                    significant(f.max_x) + " non-embedding parameters.");
  }
  for (size_t i = 0; i < section.fits.size(); ++i) {
    for (size_t j = i + 1; j < section.fits.size(); ++j) {
      const auto& a = section.fits[i];
      const auto& b = section.fits[j];
      auto crossing = power_law_crossover(a.fit, b.fit);
      if (!crossing) continue;
      const bool inside =
          *crossing >= std::max(a.fit.min_x, b.fit.min_x) && *crossing <= std::min(a.fit.max_x, b.fit.max_x);
      std::string line = "The " + a.series + " and " + b.series + " fits cross at N ≈ " + significant(*crossing);
      if (!inside) {
        lines.push_back(line + ", outside the range both measured (an extrapolation).");
        continue;
      }
      line += ", inside the measured range";
      if (auto interval = power_law_crossover_interval(a.x, a.y, b.x, b.y)) {
        line += " (95% bootstrap interval [" + significant(interval->low) + ", " + significant(interval->high) +
                "], resampling runs)";
      } else {
        line += " (the resampled fits often do not cross: no interval)";
      }
      line += ".";
      const LossFit* fixed_fit = a.series == "fixed" ? &a : b.series == "fixed" ? &b : nullptr;
      const LossFit* standard_fit = a.series == "standard" ? &a : b.series == "standard" ? &b : nullptr;
      if (fixed_fit && standard_fit) line += reconcile_with_claim_three(section, *fixed_fit, *standard_fit);
      lines.push_back(line);
    }
  }
  section.document.paragraph("Power-law fit of final `" + metric +
                             "` against non-embedding parameters N (least squares on log10 of both, every run):");
  section.document.list(std::move(lines));
}

// How a searched sweep's numbers were chosen: the protocol, the split the
// choice read, the split the numbers come from.
std::string selection_text(const SweepSection& section) {
  const auto& results = section.results;
  std::string searched;
  for (const auto& name : results.searched) searched += (searched.empty() ? "`" : "`, `") + name;
  searched += "`";
  std::set<int64_t> trials, tuned, replicated;
  for (const auto& configuration : results.configurations) {
    if (!configuration.selection) continue;
    trials.insert(configuration.selection->trials);
    for (const auto& [seed, chosen] : configuration.selection->chosen) tuned.insert(seed);
    replicated.insert(configuration.selection->replicated_on.begin(), configuration.selection->replicated_on.end());
  }
  auto seeds = [](const std::set<int64_t>& values) {
    std::string text;
    for (int64_t value : values) text += (text.empty() ? "" : ", ") + std::to_string(value);
    return text;
  };
  std::string text = "Each configuration is the best trial of its own " + results.search_method + " search over " +
                     searched + " (" + seeds(trials) + " trials per search), chosen on `" + results.selected_on +
                     "` (validation); ";
  text += replicated.empty() ? "every seed had a search of its own (seeds " + seeds(tuned) + ")."
                             : "tuned on seed " + seeds(tuned) + ", then the chosen setting ran untuned on seed" +
                                   (replicated.size() == 1 ? " " : "s ") + seeds(replicated) + ".";
  text += section.goal.name != results.selected_on
              ? " The numbers below are `" + section.goal.name +
                    "` on the held-out test split, which the choice never saw."
              : " The numbers below are the same metric the choice was made on, so the chosen trials' values are "
                "optimistic (set `test_split: true` to report on held-out text).";
  text += " " + std::to_string(results.unchosen_trials) + " other trials are not shown.";
  return text;
}

void describe_setup(SweepSection& section) {
  const auto& results = section.results;
  std::set<std::string> tasks, precisions, devices;
  double first_start = INFINITY, last_end = 0, total = 0;
  size_t fewest = SIZE_MAX, most = 0;
  for (const auto& configuration : results.configurations) {
    tasks.insert(configuration.text("task"));
    fewest = std::min(fewest, configuration.replicates.size());
    most = std::max(most, configuration.replicates.size());
    for (const auto& replicate : configuration.replicates) {
      if (!replicate.precision.empty()) precisions.insert(replicate.precision);
      if (!replicate.device.empty()) devices.insert(replicate.device);
      if (replicate.started_at > 0) first_start = std::min(first_start, replicate.started_at);
      last_end = std::max(last_end, replicate.ended_at);
      total += replicate.seconds;
    }
  }
  auto join = [](const std::set<std::string>& values) {
    std::string text;
    for (const auto& value : values) text += (text.empty() ? "" : ", ") + value;
    return text.empty() ? std::string("unknown") : text;
  };
  std::string states;
  for (const auto& [state, count] : results.cell_states) states += (states.empty() ? "" : ", ") + std::to_string(count) + " " + state;
  std::string text = std::to_string(results.configurations.size()) + " configurations (cells: " + states + "), " +
                     std::to_string(results.succeeded_runs) + " succeeded runs, " +
                     (fewest == most ? std::to_string(most) : std::to_string(fewest) + " to " + std::to_string(most)) +
                     (most == 1 ? " seed" : " seeds") + " per configuration. " +
                     (sizes_known(results) ? "Task `" + join(tasks) + "`, metric `" : std::string("Metric `")) +
                     section.goal.name + "` (" + (section.goal.maximize ? "higher" : "lower") + " is better)." +
                     (sizes_known(results) ? " Precision " + join(precisions) + " on " + join(devices) + "." : "");
  if (const auto& span = results.search_runs; span && span->last_end > span->first_start) {
    // The shown runs are the chosen trials and their replicates; the search's cost is every run.
    text += " Wall time " + compact_duration(span->last_end - span->first_start) +
            " from the search's first run's start to its last run's end; " + compact_duration(span->seconds) +
            " of run time in all, over its " + std::to_string(span->runs) + " runs (trials and replicates" +
            (span->lost ? "; " + std::to_string(span->lost) + " lost, whose time is not counted" : std::string()) +
            ").";
  } else if (last_end > first_start) {
    text += " Wall time " + compact_duration(last_end - first_start) + " from the first run's start to the last run's end; " +
            compact_duration(total) + " of run time in all.";
  }
  if (!results.sweep.spec_path.empty()) text += " Sweep file `" + shown_path(results.sweep.spec_path) + "`.";
  section.document.paragraph(text);
  if (!results.search_method.empty()) section.document.paragraph(selection_text(section));
}

}  // namespace

Result<SweepSection> build_sweep_section(Store& store, const SweepRecord& sweep, const SectionOptions& options) {
  SweepSection section;
  section.slug = slug_of(sweep.name);
  section.goal = metric_goal(sweep, !options.metric.empty() ? options.metric : sweep.metric.value_or("eval/accuracy"));
  HEADROOM_ASSIGN_OR_RETURN(section.results, load_sweep_results(store, sweep));
  // A searched sweep chose on its metric's validation split: it is reported
  // on the test split where its runs measured one (test_split).
  if (!section.results.search_method.empty() && options.metric.empty() &&
      section.goal.name.rfind("eval/", 0) == 0) {
    const std::string test = "test/" + section.goal.name.substr(5);
    const bool measured = std::any_of(section.results.configurations.begin(), section.results.configurations.end(),
                                      [&](const Configuration& c) { return !c.finals(test).empty(); });
    if (measured) section.goal.name = test;
  }
  SectionBuilder builder(store, section, options);
  if (!builder.anything_measured()) {
    return Error::invalid("sweep '" + sweep.name + "' has no succeeded run that logged '" + section.goal.name + "' (" +
                          std::to_string(section.results.configurations.size()) +
                          " configurations): run it first, or choose another metric with --metric");
  }
  for (const auto& key : {options.x, options.series}) {
    if (!key.empty() && !has_key(section.results, key)) {
      return Error::invalid("sweep '" + sweep.name + "' has no parameter '" + key + "' (use --x / --series with one of: " +
                            [&] {
                              std::string names;
                              for (const auto& [name, value] : section.results.configurations.front().config.items()) {
                                names += (names.empty() ? "" : ", ") + name;
                              }
                              return names;
                            }() + ")");
    }
  }
  // An axis or a series over one value draws points stacked at one x: refuse
  // it, naming what varies.
  for (const auto& [flag, key] : {std::pair{"--x", options.x}, std::pair{"--series", options.series}}) {
    if (key.empty() || builder.varies(key)) continue;
    std::string varying;
    std::vector<std::string> candidates = {"parameter_count", "non_embedding_parameters"};
    for (const auto& [name, value] : section.results.configurations.front().config.items()) candidates.push_back(name);
    for (const auto& name : candidates) {
      if (builder.varies(name)) varying += (varying.empty() ? "" : ", ") + name;
    }
    return Error::invalid(std::string(flag) + " " + key + ": '" + key + "' has one value in every configuration of sweep '" +
                          sweep.name + "', so it cannot be " + (std::string(flag) == "--x" ? "an axis" : "a series") +
                          "; what varies: " + (varying.empty() ? "nothing but the seed" : varying));
  }
  const std::string task = section.results.configurations.front().text("task");
  std::string main_x;
  if (!options.x.empty()) {
    main_x = options.x;
    builder.metric_figure(options.x, options.x, options.x, false,
                          "Final " + section.goal.name + " against " + options.x +
                              " (mean over seeds, bars one standard deviation).");
  } else {
    if (builder.varies("heads")) {
      main_x = "heads";
      const bool fit = task == "fit";
      builder.metric_figure("heads", "heads", "heads", true,
                            "Final " + section.goal.name +
                                " against the number of heads at fixed width, one line per attention kind (mean over "
                                "seeds, bars one standard deviation). " +
                                (fit ? "The fit probe: how closely attention can fit a dense attention matrix; "
                                       "comparisons 1, 2 and 5 on that task."
                                     : "Mirrors the paper's Table 1 and Figure 3a (and Tables 2A, 3A for fixed "
                                       "head size)."));
    }
    if (builder.varies("d_model")) {
      if (main_x.empty()) main_x = "d_model";
      builder.metric_figure("width", "d_model", "d_model", true,
                            "Final " + section.goal.name +
                                " against embedding size, one line per attention kind. Mirrors the paper's Figures "
                                "1 and 2.",
                            "attention");
      builder.metric_figure("parameters", "non_embedding_parameters", "non-embedding parameters", true,
                            "Final " + section.goal.name +
                                " against non-embedding parameters (log axis), one line per attention kind. "
                                "Mirrors the paper's Figures 1 and 2 (matched parameters).",
                            "attention");
    }
    if (builder.varies("head_size") && !builder.varies("heads") && !builder.varies("d_model")) {
      if (main_x.empty()) main_x = "head_size";
      builder.metric_figure("head-size", "head_size", "head size", true,
                            "Final " + section.goal.name +
                                " against head size at a fixed number of heads. Mirrors the paper's Table 2B and "
                                "Figure 3b.");
    }
    if (main_x.empty()) {
      for (const auto& key : section.results.swept) {
        if (builder.varies(key) && value_of(*builder.measured().front(), key)) {
          main_x = key;
          builder.metric_figure(key, key, key, false,
                                "Final " + section.goal.name + " against " + key +
                                    " (mean over seeds, bars one standard deviation).");
          break;
        }
      }
    }
  }
  HEADROOM_RETURN_IF_ERROR(builder.curves_figure(main_x));
  builder.rank_figure();
  configuration_tables(section);
  section.claims = evaluate_claims(section.results, section.goal);
  rank_rows(section);
  fit_losses(section);
  return section;
}

Table claims_csv(const std::vector<Claim>& claims) {
  Table csv;
  csv.columns = {"comparison", "mirrors", "claim", "finding", "better_non_embedding", "worse_non_embedding",
                 "advantage", "low", "high", "p_value", "method", "verdict", "holm_verdict", "sources"};
  for (const auto& claim : claims) {
    std::string method, sources;
    if (claim.test) method = claim.test->pairing == Pairing::paired ? "paired" : "welch";
    for (const auto& source : claim.sources) sources += (sources.empty() ? "" : " ") + source;
    const bool usable = claim.test && !claim.test->degenerate;
    csv.rows.push_back({claim.comparison, claim.mirrors, claim.statement, claim.finding,
                        claim.better ? nlohmann::json(claim.better->non_embedding_parameters) : nlohmann::json(),
                        claim.worse ? nlohmann::json(claim.worse->non_embedding_parameters) : nlohmann::json(),
                        claim.test ? nlohmann::json(claim.test->interval.estimate) : nlohmann::json(),
                        claim.test ? nlohmann::json(claim.test->interval.low) : nlohmann::json(),
                        claim.test ? nlohmann::json(claim.test->interval.high) : nlohmann::json(),
                        usable ? nlohmann::json(claim.test->p_value) : nlohmann::json(), method,
                        claim.verdict_text(false), claim.verdict_text(true), sources});
  }
  return csv;
}

void compose_section(SweepSection& section) {
  section.document = Document{};
  section.document.heading(2, "Sweep `" + section.results.sweep.name + "`");
  describe_setup(section);
  for (const auto& figure : section.figures) section.document.figure(figure.id, figure.caption);
  section.document.table(section.configurations_display,
                         "One row per configuration: the final value over its seeds (mean ± sample standard "
                         "deviation, not an interval), model size, training FLOPs per token, mean wall time and "
                         "throughput per run. \"At the unigram baseline\": its accuracy is within 0.005 of always "
                         "predicting the most frequent character, so it learned nothing a comparison could use.");
  section.document.heading(3, "Claims");
  claims_block(section);
  ranks_block(section);
  fits_block(section);
}

}  // namespace headroom
