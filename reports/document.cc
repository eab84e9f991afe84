#include "reports/document.h"

#include <cctype>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

namespace headroom {

void Document::heading(int level, std::string text) {
  Block block;
  block.kind = Block::Kind::heading;
  block.level = level;
  block.text = std::move(text);
  blocks.push_back(std::move(block));
}

void Document::paragraph(std::string text) {
  Block block;
  block.text = std::move(text);
  blocks.push_back(std::move(block));
}

void Document::list(std::vector<std::string> items) {
  Block block;
  block.kind = Block::Kind::list;
  block.items = std::move(items);
  blocks.push_back(std::move(block));
}

void Document::figure(std::string id, std::string caption) {
  Block block;
  block.kind = Block::Kind::figure;
  block.figure_id = std::move(id);
  block.text = std::move(caption);
  blocks.push_back(std::move(block));
}

void Document::table(Table table, std::string caption) {
  Block block;
  block.kind = Block::Kind::table;
  block.table = std::move(table);
  block.text = std::move(caption);
  blocks.push_back(std::move(block));
}

namespace {

std::string cell_text(const nlohmann::json& value) {
  if (value.is_null()) return "";
  return value.is_string() ? value.get<std::string>() : value.dump();
}

std::string markdown_cell(const nlohmann::json& value) {
  std::string out;
  for (char c : cell_text(value)) out += c == '|' ? std::string("\\|") : c == '\n' ? std::string(" ") : std::string(1, c);
  return out;
}

std::string escape_html(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

// Escapes and turns `code` spans into <code> elements.
std::string inline_html(const std::string& text) {
  std::string out;
  bool in_code = false;
  for (char c : escape_html(text)) {
    if (c == '`') {
      out += in_code ? "</code>" : "<code>";
      in_code = !in_code;
    } else {
      out += c;
    }
  }
  if (in_code) out += "</code>";
  return out;
}

// Verdict cells are coloured so the summary reads at a glance.
std::string verdict_class(const std::string& text) {
  if (text == "reproduced") return " class=\"yes\"";
  if (text == "not reproduced") return " class=\"no\"";
  if (text == "inconclusive") return " class=\"maybe\"";
  return "";
}

const char* kStyle = R"(body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222;line-height:1.45}
table{border-collapse:collapse;margin:1em 0;font-size:0.92em}
th,td{border:1px solid #ccc;padding:0.25em 0.6em;text-align:left;vertical-align:top}
th{background:#f3f3f3}
td.yes{background:#dff3df}td.no{background:#f8dcdc}td.maybe{background:#f6f0d5}
figure{margin:1.5em 0}figcaption{font-size:0.92em;color:#444;max-width:760px}
code{background:#f3f3f3;padding:0 0.2em}
svg{max-width:100%;height:auto}
nav ul{list-style:none;padding-left:0;columns:2}nav li.level3{padding-left:1.2em;font-size:0.92em})";

// The <svg> element of a gnuplot SVG file, without its XML prologue. Every
// gnuplot SVG names its elements alike (gnuplot_canvas, gpPt0, ...): within
// one page each id, and every reference to it, gets the figure's id in front.
Result<std::string> inline_svg(const std::filesystem::path& path, const std::string& figure_id) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error::io("cannot read figure '" + path.string() + "'");
  std::stringstream buffer;
  buffer << in.rdbuf();
  const std::string svg = buffer.str();
  const auto start = svg.find("<svg");
  if (start == std::string::npos) return Error::io("'" + path.string() + "' holds no <svg> element");
  static const std::regex id(R"((\bid=)(["'])([^"']+)\2)");
  static const std::regex reference(R"((href=)(["'])#([^"']+)\2)");
  static const std::regex url(R"(url\(#([^)]+)\))");
  std::string result = std::regex_replace(svg.substr(start), id, "$1$2" + figure_id + "-$3$2");
  result = std::regex_replace(result, reference, "$1$2#" + figure_id + "-$3$2");
  return std::regex_replace(result, url, "url(#" + figure_id + "-$1)");
}

// An anchor for a heading: its words in lower case joined by '-', numbered so
// that two headings with the same text stay apart.
std::string anchor_of(const std::string& text, size_t index) {
  std::string anchor;
  for (char c : text) {
    if (std::isalnum(static_cast<unsigned char>(c))) {
      anchor += char(std::tolower(static_cast<unsigned char>(c)));
    } else if (!anchor.empty() && anchor.back() != '-') {
      anchor += '-';
    }
  }
  while (!anchor.empty() && anchor.back() == '-') anchor.pop_back();
  return "s" + std::to_string(index) + "-" + anchor;
}

// Figures are numbered in the order they appear, whichever sweep drew them.
std::string numbered(size_t number, const std::string& caption) {
  return "Figure " + std::to_string(number) + ": " + caption;
}

}  // namespace

std::string render_markdown(const Document& document) {
  std::ostringstream out;
  size_t figures = 0;
  out << "# " << document.title << "\n";
  for (const auto& block : document.blocks) {
    out << "\n";
    switch (block.kind) {
      case Block::Kind::heading: out << std::string(size_t(block.level), '#') << " " << block.text << "\n"; break;
      case Block::Kind::paragraph: out << block.text << "\n"; break;
      case Block::Kind::list:
        for (const auto& item : block.items) out << "- " << item << "\n";
        break;
      case Block::Kind::figure:
        out << "![" << block.figure_id << "](" << block.figure_id << ".png)\n\n*" << numbered(++figures, block.text)
            << "*\n";
        break;
      case Block::Kind::table: {
        if (!block.text.empty()) out << block.text << "\n\n";
        out << "|";
        for (const auto& column : block.table.columns) out << " " << column << " |";
        out << "\n|";
        for (size_t i = 0; i < block.table.columns.size(); ++i) out << "---|";
        out << "\n";
        for (const auto& row : block.table.rows) {
          out << "|";
          for (const auto& value : row) out << " " << markdown_cell(value) << " |";
          out << "\n";
        }
        break;
      }
    }
  }
  return out.str();
}

Result<std::string> render_html(const Document& document, const std::string& folder) {
  std::ostringstream out;
  out << "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n<title>"
      << escape_html(document.title) << "</title>\n<style>\n" << kStyle << "\n</style>\n</head>\n<body>\n<h1>"
      << inline_html(document.title) << "</h1>\n";
  // A table of contents of the level-2 and level-3 headings: the page is long.
  std::vector<std::string> anchors;
  for (size_t i = 0; i < document.blocks.size(); ++i) anchors.push_back(anchor_of(document.blocks[i].text, i));
  out << "<nav>\n<p><strong>Contents</strong></p>\n<ul>\n";
  for (size_t i = 0; i < document.blocks.size(); ++i) {
    const Block& block = document.blocks[i];
    if (block.kind != Block::Kind::heading || block.level > 3) continue;
    out << "<li class=\"level" << block.level << "\"><a href=\"#" << anchors[i] << "\">" << inline_html(block.text)
        << "</a></li>\n";
  }
  out << "</ul>\n</nav>\n";
  size_t figures = 0;
  for (size_t i = 0; i < document.blocks.size(); ++i) {
    const Block& block = document.blocks[i];
    switch (block.kind) {
      case Block::Kind::heading:
        out << "<h" << block.level << " id=\"" << anchors[i] << "\">" << inline_html(block.text) << "</h"
            << block.level << ">\n";
        break;
      case Block::Kind::paragraph: out << "<p>" << inline_html(block.text) << "</p>\n"; break;
      case Block::Kind::list:
        out << "<ul>\n";
        for (const auto& item : block.items) out << "<li>" << inline_html(item) << "</li>\n";
        out << "</ul>\n";
        break;
      case Block::Kind::figure: {
        HEADROOM_ASSIGN_OR_RETURN(std::string svg, inline_svg(std::filesystem::path(folder) / (block.figure_id + ".svg"),
                                                              block.figure_id));
        out << "<figure id=\"" << escape_html(block.figure_id) << "\">\n" << svg << "\n<figcaption>"
            << inline_html(numbered(++figures, block.text)) << "</figcaption>\n</figure>\n";
        break;
      }
      case Block::Kind::table:
        if (!block.text.empty()) out << "<p>" << inline_html(block.text) << "</p>\n";
        out << "<table>\n<tr>";
        for (const auto& column : block.table.columns) out << "<th>" << escape_html(column) << "</th>";
        out << "</tr>\n";
        for (const auto& row : block.table.rows) {
          out << "<tr>";
          for (const auto& value : row) {
            const std::string text = cell_text(value);
            out << "<td" << verdict_class(text) << ">" << inline_html(text) << "</td>";
          }
          out << "</tr>\n";
        }
        out << "</table>\n";
        break;
    }
  }
  out << "</body>\n</html>\n";
  return out.str();
}

}  // namespace headroom
