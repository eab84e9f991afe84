"""Report a training run to Headroom: the worker side of protocol version 1.

Headroom starts one process per cell of a sweep and learns what the process does only from the
JSON lines it appends to the events file (docs/events.md is the orchestrator's side). This module
writes those lines, so a training script never writes JSON by hand:

    import headroom
    lr = headroom.config.get("lr", 0.1)      # the cell's parameters; {} outside Headroom
    headroom.handle_sigterm()                 # SIGTERM now only sets a flag
    for step in range(first_step, steps):
        ...
        headroom.log({"train/loss": loss}, step=step)
        if headroom.stop_requested():
            save_state(headroom.checkpoint_dir()); headroom.checkpoint(step); headroom.preempted()
    headroom.log_eval({"eval/loss": eval_loss})
    headroom.finish()                         # end "ok"

The contract:
- Importing writes nothing. The first init(), log(), log_eval(), summary(), checkpoint() or
  finish() writes the `start` event, once per process, with the config and `resumed_from_step`.
- Outside Headroom (HEADROOM_EVENTS unset) nothing is written: config is {}, log() and the other
  writers do nothing, so the same script runs standalone. handle_sigterm(), stop_requested(),
  preempted() and finish(exit=True) still behave (they write nothing), and checkpoint_dir() is a
  fresh temporary folder, so a standalone run neither resumes from nor litters anything.
- Values: nested dicts are flattened with "/" ({"train": {"loss": 1}} -> "train/loss"). A value is
  a finite number or null: NaN and infinities become null, booleans 1/0, numpy scalars and
  one-element tensors their number; anything else (strings, images, ...) is skipped. A name that
  breaks the protocol's rules (1 to 200 UTF-8 bytes, no control characters) is skipped with a
  warning on stderr, because the orchestrator would refuse the whole line.
- Steps: any whole number from 0 to 2**63-1, in any order. step=None means one more than the
  highest step logged so far (the first is 0). A name logged twice at one step keeps the later
  value, and a metric's final value is its value at its highest step; summary() relies on that.
- Resume (HEADROOM_RESUME=1): numbering continues after the highest step that the run folder's
  events file holds (a torn last line is ignored) or that the copied checkpoint folder recorded
  (checkpoint() leaves CHECKPOINT_DIR/.headroom-progress.json, because a retried attempt gets a
  new run folder and an empty events file, but a copy of the checkpoint folder).
- Ending: finish(status) writes the one `end` line (fsynced); a later finish() writes nothing.
  Exit statuses: ok 0, failed 1, invalid_config 2, diverged 3, preempted 4 (exit_code()). An
  uncaught exception after `start` writes end "failed" with "ExceptionType: message" (exit 1).
  A normal interpreter exit writes no end: the exit status decides.
"""

import json
import math
import numbers
import os
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Mapping

PROTOCOL_VERSION = 1
EXIT_CODES = {"ok": 0, "failed": 1, "invalid_config": 2, "diverged": 3, "preempted": 4}
MAX_METRIC_NAME_BYTES = 200
MAX_STEP = 2**63 - 1
PROGRESS_FILE = ".headroom-progress.json"

# One lock for the process's state and its writes: a data-loader thread may log too. An RLock,
# because the exception hook may finish() from a thread that is inside a writer.
_lock = threading.RLock()
_config = None
_started = False
_ended = False
_progress_recovered = False
_highest_step = None
_resumed_from_step = 0
_stop_requested = False
_events_fd = None
_standalone_checkpoint_dir = None
_warned_names = set()
_previous_excepthook = None


def active():
    """True when this process was started by Headroom (HEADROOM_EVENTS is set)."""
    return bool(os.environ.get("HEADROOM_EVENTS"))


def get_config():
    """The cell's parameters from HEADROOM_CONFIG (nested blocks as dicts); {} outside Headroom."""
    global _config
    with _lock:
        if _config is None:
            path = os.environ.get("HEADROOM_CONFIG") if active() else None
            config = {}
            if path:
                with open(path, encoding="utf-8") as file:
                    config = json.load(file)
                if not isinstance(config, dict):
                    raise ValueError(f"{path} does not hold a JSON object")
            _config = config
        return _config


def __getattr__(name):
    # `headroom.config` is loaded on first use, so that importing reads nothing.
    if name == "config":
        return get_config()
    raise AttributeError(f"module 'headroom' has no attribute {name!r}")


def resuming():
    """True when this attempt should resume from the files in checkpoint_dir()."""
    return active() and os.environ.get("HEADROOM_RESUME") == "1"


def run_dir():
    """The attempt's run folder; the current folder outside Headroom."""
    if not active():
        return os.getcwd()
    events = os.path.abspath(os.environ["HEADROOM_EVENTS"])
    return os.environ.get("HEADROOM_RUN_DIR") or os.path.dirname(events)


def checkpoint_dir():
    """The folder to save checkpoint files in (created). Headroom copies it to a retried attempt."""
    global _standalone_checkpoint_dir
    with _lock:
        if not active():
            if _standalone_checkpoint_dir is None:
                _standalone_checkpoint_dir = tempfile.mkdtemp(prefix="headroom-checkpoint-")
            return _standalone_checkpoint_dir
        path = _checkpoint_path()
        os.makedirs(path, exist_ok=True)
        return path


def last_step():
    """The highest step logged so far (including the resumed run's), or None."""
    with _lock:
        _recover_progress()
        return _highest_step


def stop_requested():
    """True once SIGTERM has arrived (after handle_sigterm())."""
    return _stop_requested


def handle_sigterm():
    """Make SIGTERM only set stop_requested(), so the loop can checkpoint and call preempted().

    Call it from the main thread (a rule of the signal module)."""
    signal.signal(signal.SIGTERM, _note_sigterm)


def exit_code(status):
    """The exit status that goes with an end status."""
    if status not in EXIT_CODES:
        raise ValueError(f"unknown end status {status!r} (one of {', '.join(EXIT_CODES)})")
    return EXIT_CODES[status]


def finished():
    """True once this process has written its end event."""
    return _ended


def flatten(values):
    """{"train": {"loss": 1}} -> {"train/loss": 1}: the metric names log() writes."""
    flat = {}

    def visit(prefix, mapping):
        for key, value in mapping.items():
            name = prefix + str(key)
            if isinstance(value, Mapping):
                visit(name + "/", value)
            else:
                flat[name] = value

    visit("", values)
    return flat


def init():
    """Write the start event, once per process (the writers call it). Returns the config."""
    global _started
    config = get_config()
    with _lock:
        if active() and not _started:
            _recover_progress()
            _install_excepthook()
            _write("start", {"config": config, "resumed_from_step": _resumed_from_step})
            _started = True
    return config


def log(values, step=None):
    """Write a metric event: values (a dict, nested dicts flattened) at step (None: the next)."""
    _log_values("metric", values, step)


def log_eval(values, step=None):
    """Write an eval event: evaluation metrics, same rules as log()."""
    _log_values("eval", values, step)


def summary(values):
    """Record final values not tied to a step: a metric event at the highest step (0 if none),
    so that they become the run's final values. The step count does not move."""
    init()
    with _lock:
        _recover_progress()
        step = 0 if _highest_step is None else _highest_step
        clean = _metric_values(values)
        if active() and clean:
            _write("metric", {"step": step, "values": clean})


def checkpoint(step):
    """Write the checkpoint event: the files saved in checkpoint_dir() are complete for step."""
    step = _checked_step(step)
    init()
    if not active():
        return
    with _lock:
        # Recorded in the checkpoint folder because that, not the events file, reaches a retry.
        progress = {"v": PROTOCOL_VERSION, "step": step, "last_step": _highest_step}
        temporary = os.path.join(checkpoint_dir(), PROGRESS_FILE + ".tmp")
        with open(temporary, "w", encoding="utf-8") as file:
            json.dump(progress, file)
        os.replace(temporary, os.path.join(checkpoint_dir(), PROGRESS_FILE))
        _write("checkpoint", {"step": step})


def preempted(error="Stopped by SIGTERM after a checkpoint; the next attempt resumes from it."):
    """Write end "preempted" and exit with status 4. Call checkpoint() first."""
    finish("preempted", error, exit=True)


def finish(status="ok", error=None, exit=False):
    """Write the end event (fsynced) unless one was written; with exit=True, then exit with the
    status's exit code. error (a sentence) goes with any status but ok."""
    global _ended
    code = exit_code(status)
    init()
    with _lock:
        if active() and not _ended:
            fields = {"status": status}
            if status != "ok":
                fields["error"] = str(error) if error else f"The worker ended with status {status}."
            _write("end", fields, sync=True)
            _ended = True
    if exit:
        sys.exit(code)


# --- internals -----------------------------------------------------------------------------

def _checkpoint_path():
    return os.environ.get("HEADROOM_CHECKPOINT_DIR") or os.path.join(run_dir(), "checkpoint")


def _note_sigterm(signum, frame):
    global _stop_requested
    _stop_requested = True


def _is_step(value):
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_STEP


def _checked_step(step):
    whole = isinstance(step, numbers.Integral) and not isinstance(step, bool)
    if not whole or not 0 <= step <= MAX_STEP:
        raise ValueError(f"a step is a whole number from 0 to 2**63-1, not {step!r}")
    return int(step)


def _recover_progress():
    """On resume, find where the earlier attempt got to, from the events file and the marker."""
    global _progress_recovered, _highest_step, _resumed_from_step
    if _progress_recovered:
        return
    _progress_recovered = True
    if not resuming():
        return
    highest, checkpointed, checkpointed_in_events = None, None, None
    try:
        with open(os.path.join(_checkpoint_path(), PROGRESS_FILE), encoding="utf-8") as file:
            progress = json.load(file)
        if _is_step(progress.get("last_step")):
            highest = progress["last_step"]
        if _is_step(progress.get("step")):
            checkpointed = progress["step"]
    except (OSError, ValueError, AttributeError):
        pass  # no marker (or a damaged one): the events file may still tell
    try:
        with open(os.environ["HEADROOM_EVENTS"], "rb") as file:
            lines = file.read().split(b"\n")
    except OSError:
        lines = [b""]
    for line in lines[:-1]:  # what follows the last newline is a torn line still being written
        try:
            event = json.loads(line)
            kind, step = event.get("event"), event.get("step")
        except (ValueError, AttributeError):
            continue
        if not _is_step(step):
            continue
        if kind in ("metric", "eval"):
            highest = step if highest is None else max(highest, step)
        elif kind == "checkpoint":
            checkpointed_in_events = step
    # The marker is the newest checkpoint of the copied folder; the events file may be new.
    for step in (checkpointed, checkpointed_in_events, 0):
        if step is not None:
            _resumed_from_step = step
            break
    _highest_step = highest


def _log_values(kind, values, step):
    global _highest_step
    if not isinstance(values, Mapping):
        raise TypeError(f"headroom.log takes a dict of values, not {type(values).__name__}")
    init()
    with _lock:
        _recover_progress()
        if step is None:
            step = 0 if _highest_step is None else _highest_step + 1
        step = _checked_step(step)
        clean = _metric_values(values)
        # The step counts as logged even when every value was skipped, so numbering does not
        # depend on which values happened to be numbers.
        _highest_step = step if _highest_step is None else max(_highest_step, step)
        if active() and clean:
            _write(kind, {"step": step, "values": clean})


_SKIP = object()


def _metric_value(value):
    if value is None:
        return None
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, numbers.Integral):
        value = int(value)
        if abs(value) <= MAX_STEP:
            return value
        try:
            return float(value)  # JSON readers take integers of 64 bits at most
        except OverflowError:
            return None
    if isinstance(value, numbers.Real):
        value = float(value)
        return value if math.isfinite(value) else None
    item = getattr(value, "item", None)  # numpy scalars and arrays, tensors holding one number
    if callable(item) and not isinstance(value, (str, bytes, Mapping)):
        try:
            number = item()
        except Exception:
            return _SKIP
        if isinstance(number, (bool, int, float)):
            return _metric_value(number)
    return _SKIP


def _metric_name_problem(name):
    try:
        encoded = name.encode("utf-8")
    except UnicodeEncodeError:
        return "it is not valid UTF-8"
    if not 1 <= len(encoded) <= MAX_METRIC_NAME_BYTES:
        return f"a metric name has 1 to {MAX_METRIC_NAME_BYTES} bytes"
    if any(byte < 0x20 or byte == 0x7F for byte in encoded):
        return "it has a control character"
    return ""


def _metric_values(values):
    clean = {}
    for name, value in flatten(values).items():
        number = _metric_value(value)
        if number is _SKIP:
            continue
        problem = _metric_name_problem(name)
        if problem:
            if name not in _warned_names:
                _warned_names.add(name)
                print(f"headroom: skipped the metric {name!r}: {problem}", file=sys.stderr)
            continue
        clean[name] = number
    return clean


def _write(kind, fields, sync=False):
    """Append one event line with a single write (a reader never sees half of two lines)."""
    global _events_fd
    line = json.dumps({"v": PROTOCOL_VERSION, "event": kind, "time": time.time(), **fields},
                      allow_nan=False, separators=(",", ":")) + "\n"
    data = line.encode("utf-8")
    with _lock:
        if _events_fd is None:
            flags = os.O_RDWR | os.O_APPEND | os.O_CREAT | getattr(os, "O_CLOEXEC", 0)
            _events_fd = os.open(os.environ["HEADROOM_EVENTS"], flags, 0o644)
            size = os.fstat(_events_fd).st_size
            if size and os.pread(_events_fd, 1, size - 1) != b"\n":
                data = b"\n" + data  # an earlier process died mid-line: end that line, not ours
        written = os.write(_events_fd, data)
        while written < len(data):  # only a full disk or a signal splits a regular file's write
            written += os.write(_events_fd, data[written:])
        if sync:
            os.fsync(_events_fd)


def _install_excepthook():
    global _previous_excepthook
    if _previous_excepthook is None:
        _previous_excepthook = sys.excepthook
        sys.excepthook = _report_uncaught_exception


def _report_uncaught_exception(exc_type, exc, traceback):
    try:
        if _started and not _ended:
            message = str(exc).strip()
            error = f"{exc_type.__name__}: {message}" if message else exc_type.__name__
            finish("failed", error[:2000])
    except Exception:
        pass  # the traceback printed below matters more than the end line
    _previous_excepthook(exc_type, exc, traceback)
