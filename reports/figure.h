#pragma once
// A figure of the report and how gnuplot draws it. Each figure leaves three
// files a user can edit and rerun: ID.dat (the numbers), ID.gp (the gnuplot
// script) and the images it draws, ID.svg (for the HTML page) and ID.png
// (for the Markdown page).

#include <string>
#include <vector>

#include "common/result.h"

namespace headroom {

struct FigurePoint {
  double x = 0, y = 0, error = 0;  // error: the bar's half height (a standard deviation), 0 for none
};

struct FigureSeries {
  std::string title;
  std::vector<FigurePoint> points;  // in x order
  bool dashed = false;              // a reference line (a bound), not a measurement
  std::string color;                // "#rrggbb"; empty: gnuplot's own sequence
};

struct Figure {
  std::string id;       // file stem: letters, digits, '-' and '_'
  std::string caption;  // what it shows and which of the paper's tables or figures it mirrors (no number:
                        // the document numbers its figures in order)
  std::string x_label, y_label;
  bool log_x = false;
  std::vector<FigureSeries> series;
};

// The gnuplot script that draws `figure` from ID.dat into ID.svg and ID.png.
std::string gnuplot_script(const Figure& figure);
// ID.dat: one block per series (gnuplot's `index`), columns x, y, error.
std::string gnuplot_data(const Figure& figure);

// Writes ID.dat and ID.gp into `folder` and runs gnuplot there. An error
// naming the script and quoting gnuplot's message when it fails, or saying
// how to install gnuplot when it is missing.
Status draw_figure(const Figure& figure, const std::string& folder);

}  // namespace headroom
