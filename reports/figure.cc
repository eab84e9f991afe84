#include "reports/figure.h"

#include <cmath>
#include <filesystem>
#include <set>
#include <sstream>

#include <boost/process.hpp>

#include "common/number_format.h"
#include "common/text_file.h"

namespace headroom {
namespace {

namespace fs = std::filesystem;

// Neighbouring log-axis ticks closer than this ratio would print over each other.
constexpr double kTickSpacing = 1.3;

// "84.2k", "1.05M", "32": a tick's label with at most three significant digits.
std::string tick_label(double x) {
  if (std::fabs(x) >= 1e6) return significant(x / 1e6, 3) + "M";
  if (std::fabs(x) >= 1e4) return significant(x / 1e3, 3) + "k";
  return significant(x, 4);
}

// Gnuplot strings are single-quoted; a quote inside is doubled.
std::string quoted(const std::string& text) {
  std::string out = "'";
  for (char c : text) {
    out += c;
    if (c == '\'') out += '\'';
  }
  return out + "'";
}

}  // namespace

std::string gnuplot_data(const Figure& figure) {
  std::ostringstream data;
  data.precision(10);
  for (size_t i = 0; i < figure.series.size(); ++i) {
    data << (i ? "\n\n" : "") << "# " << figure.series[i].title << "\n# x y error\n";
    for (const auto& point : figure.series[i].points) data << point.x << " " << point.y << " " << point.error << "\n";
  }
  return data.str();
}

std::string gnuplot_script(const Figure& figure) {
  std::ostringstream script;
  script << "# Drawn by headroom report from " << figure.id << ".dat; edit and run `gnuplot " << figure.id
         << ".gp` to restyle.\n"
         << "set xlabel " << quoted(figure.x_label) << "\nset ylabel " << quoted(figure.y_label) << "\n"
         << "set key below noenhanced\nset grid\nset mxtics\n"
         << "set autoscale fix\nset offsets graph 0.05, graph 0.05, graph 0.08, graph 0.08\n";
  if (figure.log_x) {
    script << "set logscale x\n";
    // Log axes get ticks only at powers of ten; label the measured values
    // instead, leaving out a value too close to the last one labelled for
    // both labels to fit.
    std::set<double> xs;
    for (const auto& series : figure.series) {
      for (const auto& point : series.points) xs.insert(point.x);
    }
    if (!xs.empty() && xs.size() <= 12) {
      script << "set xtics (";
      double last = 0;
      bool first = true;
      for (double x : xs) {
        if (!first && x < last * kTickSpacing) continue;
        script << (first ? "" : ", ") << quoted(tick_label(x)) << " " << x;
        first = false;
        last = x;
      }
      script << ")\nset mxtics 1\n";
    }
  }
  script << "plot ";
  for (size_t i = 0; i < figure.series.size(); ++i) {
    const auto& series = figure.series[i];
    bool bars = false;
    for (const auto& point : series.points) bars = bars || point.error > 0;
    script << (i ? ", \\\n     " : "") << quoted(figure.id + ".dat") << " index " << i;
    if (series.dashed) {
      script << " using 1:2 with lines dashtype 2 linewidth 1.5";
    } else if (bars) {
      script << " using 1:2:3 with yerrorlines linewidth 1.5 pointtype 7";
    } else {
      script << " using 1:2 with linespoints linewidth 1.5 pointtype 7";
    }
    if (!series.color.empty()) script << " linecolor rgb " << quoted(series.color);
    script << " title " << quoted(series.title);
  }
  // One plot command, two terminals: the SVG goes inline into the HTML page,
  // the PNG beside the Markdown page.
  script << "\n\nset terminal svg size 760,440 noenhanced font 'sans,12' background '#ffffff'\n"
         << "set output " << quoted(figure.id + ".svg") << "\nreplot\n"
         << "set terminal pngcairo size 950,550 noenhanced font 'sans,11'\n"
         << "set output " << quoted(figure.id + ".png") << "\nreplot\nunset output\n";
  return script.str();
}

Status draw_figure(const Figure& figure, const std::string& folder) {
  namespace bp = boost::process;
  const fs::path directory = folder;
  HEADROOM_RETURN_IF_ERROR(write_text_file((directory / (figure.id + ".dat")).string(), gnuplot_data(figure)));
  const std::string script = figure.id + ".gp";
  HEADROOM_RETURN_IF_ERROR(write_text_file((directory / script).string(), gnuplot_script(figure)));
  auto gnuplot = bp::search_path("gnuplot");
  if (gnuplot.empty()) {
    return Error::io("gnuplot is not installed: run scripts/setup or apt-get install gnuplot-nox");
  }
  bp::ipstream errors;
  std::error_code start_error;
  bp::child child(gnuplot, script, bp::start_dir = directory.string(), bp::std_in < bp::null,
                  bp::std_out > bp::null, bp::std_err > errors, start_error);
  if (start_error) return Error::io("cannot start gnuplot: " + start_error.message());
  std::string message, line;
  while (std::getline(errors, line)) message += (message.empty() ? "" : "\n") + line;
  child.wait();
  if (child.exit_code() != 0) {
    return Error::io("gnuplot failed on '" + (directory / script).string() + "':\n" + message);
  }
  return Ok{};
}

}  // namespace headroom
