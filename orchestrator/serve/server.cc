#include "orchestrator/serve/server.h"

#include <httplib.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <fstream>
#include <string_view>
#include <thread>

#include "orchestrator/serve/api.h"
#include "orchestrator/serve/web_files.h"
#include "orchestrator/store/store.h"

namespace headroom {
namespace {

// 128 bits from the kernel, as hex.
Result<std::string> random_token() {
  std::ifstream random("/dev/urandom", std::ios::binary);
  unsigned char bytes[16];
  if (!random.read(reinterpret_cast<char*>(bytes), sizeof(bytes))) return Error::io("cannot read /dev/urandom");
  std::string token;
  char hex[3];
  for (unsigned char byte : bytes) {
    std::snprintf(hex, sizeof(hex), "%02x", byte);
    token += hex;
  }
  return token;
}

// Threads answering requests (cpp-httplib's pool; its default is 8).
constexpr size_t kThreads = 32;

bool loopback(const std::string& host) { return host == "127.0.0.1" || host == "localhost" || host == "::1"; }

std::string lowercase(std::string text) {
  for (char& c : text) c = char(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

// The name a request's Host header gives, without its port ("[::1]:8700" -> "::1").
std::string host_name_of(const std::string& header) {
  return lowercase(!header.empty() && header.front() == '[' ? header.substr(1, header.find(']') - 1)
                                                            : header.substr(0, header.find(':')));
}

// A token as a URL's query value: every byte but letters, digits and -._~ as %XX.
std::string url_encoded(const std::string& text) {
  std::string out;
  char hex[4];
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += char(c);
    } else {
      std::snprintf(hex, sizeof(hex), "%%%02X", c);
      out += hex;
    }
  }
  return out;
}

// Binds like httplib's default but without SO_REUSEPORT, with which a second
// server on the same port binds too and the kernel splits the requests
// between the two.
void bind_exclusively(socket_t socket) {
  int yes = 1;
  ::setsockopt(socket, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
}

// A request target's query as name-value pairs, split at each '&' and at the
// first '=' of each pair, then URL-decoded. httplib 0.11 keeps what follows a
// pair's last '=' instead, so a filter typed into a URL unencoded
// ("where=heads>=8") silently became another ("8").
httplib::Params query_of(const std::string& target) {
  httplib::Params pairs;
  const auto question = target.find('?');
  if (question == std::string::npos) return pairs;
  std::string_view query = std::string_view(target).substr(question + 1);
  while (!query.empty()) {
    const std::string_view pair = query.substr(0, query.find('&'));
    query.remove_prefix(std::min(query.size(), pair.size() + 1));
    if (pair.empty()) continue;
    const auto equals = pair.find('=');
    std::string name = httplib::detail::decode_url(std::string(pair.substr(0, equals)), true);
    std::string value =
        equals == std::string_view::npos ? "" : httplib::detail::decode_url(std::string(pair.substr(equals + 1)), true);
    pairs.emplace(std::move(name), std::move(value));
  }
  return pairs;
}

void send_json(httplib::Response& response, int status, const nlohmann::ordered_json& body) {
  response.status = status;
  response.set_content(body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace), "application/json");
}

}  // namespace

Status serve(const ServeOptions& options, const std::function<void(const std::string& url)>& on_listening) {
  // Refuse a missing or foreign database now, not at the first request.
  {
    auto store = Store::open_read_only(options.database);
    if (!store) return store.error();
  }
  std::string token = options.token;
  if (token.empty() && !loopback(options.host)) {
    HEADROOM_ASSIGN_OR_RETURN(token, random_token());
  }

  httplib::Server server;
  server.set_default_headers({
      {"Content-Security-Policy",
       "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; "
       "frame-ancestors 'none'; base-uri 'none'; form-action 'none'"},
      {"X-Content-Type-Options", "nosniff"},
      {"Referrer-Policy", "no-referrer"},
      {"Cache-Control", "no-store"},
  });
  // Idle keep-alive connections hold a thread each for up to 5 s: two open
  // pages (6 connections each) would leave httplib's default 8 too few.
  server.new_task_queue = [] { return new httplib::ThreadPool(kThreads); };
  server.set_socket_options(bind_exclusively);
  // An idle keep-alive connection holds Ctrl-C up this long (httplib's default: 5 s).
  server.set_keep_alive_timeout(1);
  server.set_pre_routing_handler([&](const httplib::Request& request, httplib::Response& response) {
    // Never compress: httplib picks brotli at its slowest quality whenever
    // the client accepts it (Chromium does, even to 127.0.0.1), which took
    // 1.5 s for the 0.7 MB of 2,000 runs' rows (0.07 s uncompressed); the page
    // is served over loopback or a tunnel, where bytes are cheap. httplib
    // reads this header after routing, from the request object it hands us
    // as const (it is not const itself).
    auto& writable = const_cast<httplib::Request&>(request);
    writable.headers.erase("Accept-Encoding");
    // Whole answers only: httplib would cut an API answer to a range under
    // "200 OK", and a header of many ranges of one file makes a body many
    // times its size.
    writable.headers.erase("Range");
    writable.ranges.clear();
    writable.params = query_of(request.target);
    // RFC 9112 section 3.2: an HTTP/1.1 request without exactly one Host is
    // answered 400; the loopback check below needs the name it gives.
    const size_t hosts = request.get_header_value_count("Host");
    if (hosts > 1 || (hosts == 0 && request.version == "HTTP/1.1")) {
      send_json(response, 400, {{"error", "an HTTP/1.1 request needs exactly one Host header"}});
      return httplib::Server::HandlerResponse::Handled;
    }
    if (request.method != "GET" && request.method != "HEAD") {
      response.set_header("Allow", "GET, HEAD");
      send_json(response, 405, {{"error", "only GET and HEAD: the dashboard never writes"}});
      return httplib::Server::HandlerResponse::Handled;
    }
    // Served on a loopback address without a token, it answers only requests
    // addressed to a loopback name: a web page whose own name the attacker
    // points at 127.0.0.1 (DNS rebinding) sends its name as Host.
    if (token.empty() && request.has_header("Host") && !loopback(host_name_of(request.get_header_value("Host")))) {
      send_json(response, 403,
                {{"error", "this dashboard answers requests for localhost, 127.0.0.1 or [::1] only; behind a proxy or "
                           "another name, start it with --token T (it stays on 127.0.0.1) and open it with ?token=T"}});
      return httplib::Server::HandlerResponse::Handled;
    }
    // The page's files hold no data, and its <script> tags cannot carry the token.
    if (token.empty() || request.path.rfind("/static/", 0) == 0) return httplib::Server::HandlerResponse::Unhandled;
    const bool by_query = request.has_param("token") && request.get_param_value("token") == token;
    // RFC 9110: the scheme's name is case-insensitive ("bearer T" too).
    const std::string authorization = request.get_header_value("Authorization");
    const bool by_header = authorization.size() == 7 + token.size() &&
                           lowercase(authorization.substr(0, 7)) == "bearer " && authorization.substr(7) == token;
    if (by_query || by_header) return httplib::Server::HandlerResponse::Unhandled;
    send_json(response, 401, {{"error", "this server needs the token it printed at start (?token=...)"}});
    return httplib::Server::HandlerResponse::Handled;
  });
  // The page and its files, from the binary: the path is only ever looked up
  // in the embedded table, never joined to a folder.
  auto send_file = [](httplib::Response& response, const WebFile* file) {
    if (!file) return send_json(response, 404, {{"error", "no such file"}});
    response.set_content(std::string(file->content), std::string(content_type_of(file->path)));
  };
  server.Get("/", [&](const httplib::Request&, httplib::Response& response) {
    send_file(response, find_web_file("/static/index.html"));
  });
  server.Get(R"(/static/.+)", [&](const httplib::Request& request, httplib::Response& response) {
    send_file(response, find_web_file(request.path));
  });
  server.Get(R"(/api/.*)", [&](const httplib::Request& request, httplib::Response& response) {
    auto store = Store::open_read_only(options.database);
    if (!store) {
      send_json(response, 503, {{"error", store.error().to_string()}});
      return;
    }
    ApiRequest api{request.path, {}};
    for (const auto& [name, value] : request.params) api.query.emplace(name, value);
    ApiResponse answer = answer_api(*store.value(), api);
    if (answer.text.empty()) return send_json(response, answer.status, answer.body);
    response.status = answer.status;
    response.body = std::move(answer.text);  // 0.11's set_content copies: a few MB of curves
    response.set_header("Content-Type", "application/json");
  });
  server.set_error_handler([](const httplib::Request&, httplib::Response& response) {
    if (response.status == 404 && response.body.empty()) {
      send_json(response, 404, {{"error", "no such page: the dashboard is / and its API /api/ (docs/api.md)"}});
    }
  });

  // SIGINT and SIGTERM are taken by a waiting thread, which stops the server:
  // httplib's stop() may not be called from a signal handler.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  sigset_t previous;
  pthread_sigmask(SIG_BLOCK, &signals, &previous);
  int port = options.port;
  if (port == 0) {
    port = server.bind_to_any_port(options.host);
  } else if (!server.bind_to_port(options.host, port)) {
    port = -1;
  }
  if (port < 0) {
    pthread_sigmask(SIG_SETMASK, &previous, nullptr);
    return Error::io("cannot listen on " + options.host + ":" + std::to_string(options.port) +
                     " (in use? another --port, or --port 0 for any free one)");
  }
  const std::string host = options.host.find(':') != std::string::npos ? "[" + options.host + "]" : options.host;
  on_listening("http://" + host + ":" + std::to_string(port) + "/" + (token.empty() ? "" : "?token=" + url_encoded(token)));
  std::thread listener([&] { server.listen_after_bind(); });
  std::thread stopper([&] {
    int signal = 0;
    sigwait(&signals, &signal);
    server.stop();
  });
  listener.join();
  // Stopped by a signal: the stopper has returned. Stopped otherwise: wake it.
  pthread_kill(stopper.native_handle(), SIGTERM);
  stopper.join();
  pthread_sigmask(SIG_SETMASK, &previous, nullptr);
  return Ok{};
}

}  // namespace headroom
