// headroom note / tag: a researcher's own words and labels on runs and sweeps.
#include <cstdio>

#include "orchestrator/cli/commands.h"

namespace headroom::cli {
namespace {

struct NoteOptions {
  std::string run;
  std::string sweep;
  std::string text;
};

struct TagOptions {
  std::string run;
  std::vector<std::string> tags;
  bool remove = false;
};

int note(NoteOptions options, const GlobalOptions& global) {
  // With --sweep, the one positional argument is the text.
  if (!options.sweep.empty() && options.text.empty()) std::swap(options.run, options.text);
  if (options.run.empty() == options.sweep.empty()) {
    return report_error(Error::invalid("name either a run (headroom note RUN TEXT) or --sweep NAME, not both"));
  }
  if (options.text.empty()) return report_error(Error::invalid("the note is empty"));
  auto store = Store::open_for_writing(global.database);
  if (!store) return report_error(store.error());
  std::optional<int64_t> sweep_id, run_id;
  if (!options.run.empty()) {
    auto run = find_run(*store.value(), options.run);
    if (!run) return report_error(run.error());
    run_id = run->id;
  } else {
    auto sweep = find_sweep(*store.value(), options.sweep);
    if (!sweep) return report_error(sweep.error());
    sweep_id = sweep->id;
  }
  auto id = store.value()->add_note(sweep_id, run_id, options.text);
  if (!id) return report_error(id.error());
  return 0;
}

int tag(const TagOptions& options, const GlobalOptions& global) {
  for (const auto& tag : options.tags) {
    if (tag.empty() || tag.find(',') != std::string::npos) {
      return report_error(Error::invalid("tag '" + tag + "' must be non-empty and without commas"));
    }
  }
  auto store = Store::open_for_writing(global.database);
  if (!store) return report_error(store.error());
  auto run = find_run(*store.value(), options.run);
  if (!run) return report_error(run.error());
  for (const auto& tag : options.tags) {
    auto done = options.remove ? store.value()->remove_tag(run->id, tag) : store.value()->add_tag(run->id, tag);
    if (!done) return report_error(done.error());
  }
  return 0;
}

}  // namespace

void add_annotate_commands(CLI::App& app, const GlobalOptions& global, int& exit_status) {
  auto note_options = std::make_shared<NoteOptions>();
  auto* note_command = app.add_subcommand("note", "Attach a note to a run or a sweep (shown by 'show' and 'status')");
  note_command->add_option("run", note_options->run, kRunNameHelp);
  note_command->add_option("text", note_options->text, "the note");
  note_command->add_option("--sweep", note_options->sweep, "note the sweep instead of a run");
  note_command->callback([note_options, &global, &exit_status] { exit_status = note(*note_options, global); });

  auto tag_options = std::make_shared<TagOptions>();
  auto* tag_command = app.add_subcommand("tag", "Tag a run (filter with --where \"tags like '%name%'\")");
  tag_command->add_option("run", tag_options->run, kRunNameHelp)->required();
  tag_command->add_option("tags", tag_options->tags, "tags to add")->required();
  tag_command->add_flag("--remove", tag_options->remove, "remove these tags instead");
  tag_command->callback([tag_options, &global, &exit_status] { exit_status = tag(*tag_options, global); });
}

}  // namespace headroom::cli
