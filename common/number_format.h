#pragma once
// How Headroom writes a number for people: one home, so a value reads the
// same in the terminal, a table and a report.

#include <string>

namespace headroom {

// `digits` significant digits ("%.4g"): 0.4961, 1.235e+05.
std::string significant(double value, int digits = 4);
// `decimals` digits after the point ("%.3f").
std::string fixed(double value, int decimals);
// As few digits as C's "%g" needs: 60, 3.5, 0.001.
std::string shortest(double value);
// A duration as "45s", "3m4s" or "2h5m": rounded to the second, or from
// 59m30s on to the minute.
std::string compact_duration(double seconds);

}  // namespace headroom
