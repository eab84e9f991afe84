// headroom serve: the live web dashboard over the results database
// (orchestrator/serve/server.h, docs/api.md).
#include <cstdio>

#include "orchestrator/cli/commands.h"
#include "orchestrator/serve/server.h"

namespace headroom::cli {

void add_serve_command(CLI::App& app, const GlobalOptions& global, int& exit_status) {
  auto options = std::make_shared<ServeOptions>();
  auto* command = app.add_subcommand(
      "serve", "Serve a live dashboard of the database and its JSON API (read-only; Ctrl-C stops it)");
  command->add_option("--host", options->host,
                      "address to listen on (default 127.0.0.1; any other needs the token printed at start)");
  command->add_option("--port", options->port, "port (default 8700; 0: any free port)")->check(CLI::Range(0, 65535));
  command->add_option("--token", options->token,
                      "the token requests must carry (default: a random one when --host is not loopback)");
  command->callback([options, &global, &exit_status] {
    options->database = global.database;
    auto served = serve(*options, [](const std::string& url) {
      std::printf("headroom: serving the dashboard at %s (Ctrl-C stops)\n", url.c_str());
      std::fflush(stdout);
    });
    exit_status = served ? 0 : report_error(served.error());
  });
}

}  // namespace headroom::cli
