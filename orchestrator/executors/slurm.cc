#include "orchestrator/executors/slurm.h"

#include <sstream>

#include <boost/process.hpp>

namespace headroom::slurm {
namespace {

namespace bp = boost::process;

struct CommandOutput {
  int status = -1;
  std::string out, err;
};

Result<CommandOutput> run(const std::string& program, const std::vector<std::string>& arguments) {
  auto path = bp::search_path(program);
  if (path.empty()) {
    return Error::io(program + " is not installed: install slurm-wlm (scripts/setup), or run without --executor slurm");
  }
  CommandOutput result;
  try {
    bp::ipstream out, err;
    bp::child child(path, arguments, bp::std_in < bp::null, bp::std_out > out, bp::std_err > err);
    std::ostringstream out_text, err_text;
    out_text << out.rdbuf();
    err_text << err.rdbuf();
    child.wait();
    result.status = child.exit_code();
    result.out = out_text.str();
    result.err = err_text.str();
  } catch (const std::exception& error) {
    return Error::io("cannot run " + program + ": " + error.what());
  }
  return result;
}

std::string trim(const std::string& text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return "";
  return text.substr(first, text.find_last_not_of(" \t\r\n") - first + 1);
}

Error failure(const std::string& program, const CommandOutput& output) {
  const std::string message = trim(output.err.empty() ? output.out : output.err);
  return Error::io(program + " failed (exit " + std::to_string(output.status) + "): " + message);
}

// "3-5,7%2" -> 3, 4, 5, 7 (the throttle after % is dropped).
std::vector<int> expand_indices(std::string list) {
  std::vector<int> indices;
  list = list.substr(0, list.find('%'));
  std::stringstream items(list);
  for (std::string item; std::getline(items, item, ',');) {
    const auto dash = item.find('-');
    try {
      const int first = std::stoi(item.substr(0, dash));
      const int last = dash == std::string::npos ? first : std::stoi(item.substr(dash + 1));
      for (int i = first; i <= last; ++i) indices.push_back(i);
    } catch (const std::exception&) {
      // Not an index list: nothing to report for it.
    }
  }
  return indices;
}

// The value of KEY=value in a `scontrol -o` line (values hold no spaces for the keys read here).
std::string field(const std::string& line, const std::string& key) {
  const std::string marker = key + "=";
  size_t at = 0;
  while ((at = line.find(marker, at)) != std::string::npos) {
    if (at == 0 || line[at - 1] == ' ') break;
    at += marker.size();
  }
  if (at == std::string::npos) return "";
  const size_t start = at + marker.size();
  return line.substr(start, line.find(' ', start) - start);
}

}  // namespace

std::vector<std::string> sbatch_arguments(const ArrayRequest& request) {
  std::string array = "0-" + std::to_string(request.tasks == 0 ? 0 : request.tasks - 1);
  if (request.throttle > 0) array += "%" + std::to_string(request.throttle);
  std::vector<std::string> arguments = {"--parsable", "--array=" + array,
                                        "--cpus-per-task=" + std::to_string(request.cpus_per_task)};
  if (!request.job_name.empty()) arguments.push_back("--job-name=" + request.job_name);
  if (!request.output.empty()) arguments.push_back("--output=" + request.output);
  if (!request.working_dir.empty()) arguments.push_back("--chdir=" + request.working_dir);
  if (request.gpus_per_task > 0) arguments.push_back("--gpus-per-task=" + std::to_string(request.gpus_per_task));
  if (!request.memory.empty()) arguments.push_back("--mem=" + request.memory);
  if (!request.time_limit.empty()) arguments.push_back("--time=" + request.time_limit);
  if (!request.partition.empty()) arguments.push_back("--partition=" + request.partition);
  if (!request.account.empty()) arguments.push_back("--account=" + request.account);
  if (!request.qos.empty()) arguments.push_back("--qos=" + request.qos);
  arguments.insert(arguments.end(), request.extra_arguments.begin(), request.extra_arguments.end());
  arguments.push_back(request.script);
  return arguments;
}

Result<std::string> submit_array(const ArrayRequest& request) {
  if (request.tasks == 0) return Error::invalid("a job array needs at least one task");
  HEADROOM_ASSIGN_OR_RETURN(CommandOutput output, run("sbatch", sbatch_arguments(request)));
  if (output.status != 0) return failure("sbatch", output);
  // --parsable prints "jobid" or "jobid;cluster".
  std::string id = trim(output.out);
  id = id.substr(0, id.find(';'));
  if (id.empty() || id.find_first_not_of("0123456789") != std::string::npos) {
    return Error::io("sbatch printed no job id: '" + trim(output.out) + "'");
  }
  return id;
}

State parse_state(const std::string& text) {
  static const std::map<std::string, State> states = {
      {"PENDING", State::pending},       {"RUNNING", State::running},       {"CONFIGURING", State::running},
      {"COMPLETING", State::completing}, {"COMPLETED", State::completed},   {"FAILED", State::failed},
      {"BOOT_FAIL", State::failed},      {"DEADLINE", State::timeout},      {"TIMEOUT", State::timeout},
      {"CANCELLED", State::cancelled},   {"NODE_FAIL", State::node_fail},   {"PREEMPTED", State::preempted},
      {"OUT_OF_MEMORY", State::out_of_memory}, {"SUSPENDED", State::running}, {"REQUEUED", State::pending},
      {"RESIZING", State::running},      {"REVOKED", State::cancelled},     {"SPECIAL_EXIT", State::failed},
  };
  // scontrol may append a qualifier: "CANCELLED by 0".
  auto found = states.find(text.substr(0, text.find(' ')));
  return found == states.end() ? State::unknown : found->second;
}

std::string to_string(State state) {
  switch (state) {
    case State::pending: return "pending";
    case State::running: return "running";
    case State::completing: return "completing";
    case State::completed: return "completed";
    case State::failed: return "failed";
    case State::timeout: return "timeout";
    case State::cancelled: return "cancelled";
    case State::node_fail: return "node_fail";
    case State::preempted: return "preempted";
    case State::out_of_memory: return "out_of_memory";
    case State::unknown: return "unknown";
  }
  return "unknown";
}

bool is_final(State state) {
  return state != State::pending && state != State::running && state != State::completing &&
         state != State::unknown;
}

std::vector<Task> parse_squeue(const std::string& text) {
  std::vector<Task> tasks;
  std::stringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    std::stringstream fields(trim(line));
    std::string id, state, reason;
    if (!std::getline(fields, id, '|') || !std::getline(fields, state, '|')) continue;
    std::getline(fields, reason);
    const auto underscore = id.find('_');
    if (underscore == std::string::npos) continue;  // not an array task
    Task task;
    task.array_job = id.substr(0, underscore);
    task.state = parse_state(state);
    task.reason = reason;
    std::string indices = id.substr(underscore + 1);
    if (!indices.empty() && indices.front() == '[') indices = indices.substr(1, indices.find(']') - 1);
    for (int index : expand_indices(indices)) {
      task.index = index;
      tasks.push_back(task);
    }
  }
  return tasks;
}

std::vector<Task> parse_scontrol(const std::string& text) {
  std::vector<Task> tasks;
  std::stringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    const std::string array_job = field(line, "ArrayJobId"), index = field(line, "ArrayTaskId");
    if (array_job.empty() || index.empty()) continue;
    for (int i : expand_indices(index)) {
      Task task;
      task.array_job = array_job;
      task.index = i;
      task.state = parse_state(field(line, "JobState"));
      task.reason = field(line, "Reason");
      // A job still running shows ExitCode=0:0: only a finished one's is its own.
      const std::string exit = is_final(task.state) ? field(line, "ExitCode") : "";
      if (const auto colon = exit.find(':'); colon != std::string::npos) {
        try {
          task.exit_code = std::stoi(exit.substr(0, colon));
          task.signal = std::stoi(exit.substr(colon + 1));
        } catch (const std::exception&) {
          // An exit code SLURM did not fill in.
        }
      }
      tasks.push_back(task);
    }
  }
  return tasks;
}

Result<std::map<int, Task>> query_array(const std::string& array_job) {
  std::map<int, Task> tasks;
  HEADROOM_ASSIGN_OR_RETURN(CommandOutput details, run("scontrol", {"-o", "show", "job", array_job}));
  // An array SLURM has already forgotten is not an error: it has no tasks left.
  if (details.status == 0) {
    for (auto& task : parse_scontrol(details.out)) tasks[task.index] = task;
  }
  HEADROOM_ASSIGN_OR_RETURN(CommandOutput queue, run("squeue", {"-h", "-t", "all", "-j", array_job, "-o", "%i|%T|%r"}));
  if (queue.status != 0 && tasks.empty() && queue.err.find("Invalid job id") == std::string::npos) {
    return failure("squeue", queue);
  }
  // squeue, read second, is the fresher for tasks still queued or running.
  // A task it already calls finished that scontrol (read first) saw running
  // ended in between: its exit code is not known yet, so it counts as
  // completing until the next query reads scontrol's final record.
  for (auto& task : parse_squeue(queue.out)) {
    auto& known = tasks[task.index];
    if (is_final(known.state)) continue;
    if (is_final(task.state)) task.state = State::completing;
    known = task;
  }
  return tasks;
}

Result<std::optional<std::string>> find_array(const std::string& job_name) {
  HEADROOM_ASSIGN_OR_RETURN(CommandOutput output, run("squeue", {"-h", "-t", "all", "--name=" + job_name, "-o", "%F"}));
  if (output.status != 0) return failure("squeue", output);
  std::stringstream lines(output.out);
  for (std::string line; std::getline(lines, line);) {
    line = trim(line);
    if (!line.empty()) return std::optional<std::string>(line);
  }
  return std::optional<std::string>();
}

Status cancel(const std::string& array_job, std::optional<int> index) {
  const std::string target = index ? array_job + "_" + std::to_string(*index) : array_job;
  HEADROOM_ASSIGN_OR_RETURN(CommandOutput output, run("scancel", {target}));
  if (output.status != 0) return failure("scancel", output);
  return Ok{};
}

}  // namespace headroom::slurm
