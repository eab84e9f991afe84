#pragma once
// A report as a sequence of blocks, rendered twice: as a self-contained HTML
// page (figures inlined as SVG, opens offline) and as Markdown with PNG
// figures beside it. Text may use `code` spans; everything else is escaped.

#include <string>
#include <vector>

#include "common/result.h"
#include "common/table.h"

namespace headroom {

struct Block {
  enum class Kind { heading, paragraph, list, figure, table };
  Kind kind = Kind::paragraph;
  int level = 2;                   // heading: 1 to 3
  std::string text;                // heading, paragraph; figure: caption; table: caption
  std::vector<std::string> items;  // list
  std::string figure_id;           // figure: the ID of ID.svg / ID.png
  Table table;                     // table
};

struct Document {
  std::string title;
  std::vector<Block> blocks;

  void heading(int level, std::string text);
  void paragraph(std::string text);
  void list(std::vector<std::string> items);
  void figure(std::string id, std::string caption);
  void table(Table table, std::string caption = "");
};

std::string render_markdown(const Document& document);
// Reads each figure's ID.svg from `folder`; an error if one is missing.
Result<std::string> render_html(const Document& document, const std::string& folder);

}  // namespace headroom
