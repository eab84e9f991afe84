#include "common/number_format.h"

#include <algorithm>
#include <cstdio>

namespace headroom {

std::string significant(double value, int digits) {
  char text[48];
  std::snprintf(text, sizeof(text), "%.*g", digits, value);
  return text;
}

std::string fixed(double value, int decimals) {
  char text[64];
  std::snprintf(text, sizeof(text), "%.*f", decimals, value);
  return text;
}

std::string shortest(double value) {
  char text[48];
  std::snprintf(text, sizeof(text), "%g", value);
  return text;
}

std::string compact_duration(double seconds) {
  int total = int(std::max(0.0, seconds) + 0.5);
  if (total >= 3600 - 30) {
    const int minutes = (total + 30) / 60;  // nearest, as the seconds are: 3h19m59s is 3h20m
    return std::to_string(minutes / 60) + "h" + std::to_string(minutes % 60) + "m";
  }
  if (total >= 60) return std::to_string(total / 60) + "m" + std::to_string(total % 60) + "s";
  return std::to_string(total) + "s";
}

}  // namespace headroom
