"""A drop-in for the common `wandb` calls that reports to Headroom instead of W&B.

Headroom puts workers/python/wandb_dropin on PYTHONPATH (ahead of any installed wandb) for a sweep
that asks for it, next to the `headroom` module, so that a training script written for a W&B
sweep runs unchanged: offline, sending nothing anywhere, its metrics going to the run's events
file through `headroom`. `wandb.headroom_dropin` is True and `wandb.__version__` is
"0.0.0+headroom", so a script can tell.

Supported, with W&B's semantics:
- wandb.init(...) -> Run, also as a context manager (`with wandb.init() as run:`; an exception
  inside ends the run failed). The sweep's parameters (HEADROOM_CONFIG) override the values the
  script passes as `config=` (a nested block is merged into the script's dict), which supply
  defaults for the rest; swept keys are locked, so a later update of one is ignored with a
  warning, as in a W&B sweep. init() while a run is active returns that run.
- wandb.config / run.config: `config.lr`, `config["lr"]`, update(dict | argparse.Namespace,
  allow_val_change=), setdefaults, get, keys/items/values, as_dict, `in`, iteration. Nested
  values are plain dicts. Changing a key's value without allow_val_change raises ConfigError.
  Before init, wandb.config is an empty placeholder whose items the run's config starts from.
- wandb.log(data, step=None, commit=None): the run keeps a current step (0, or on resume one
  past the last step logged); data merges into the current step's row; commit (the default
  when no step is given) writes the row as one metric event and moves to the next step;
  commit=False only accumulates; step=N above the current step first writes the pending row,
  then moves to N (and accumulates unless commit=True); a step below the current one is dropped
  with a warning. Nested dicts are flattened with "/" like headroom.log ({"a": {"b": 1}} ->
  "a/b"). Values that are not numbers (Image, Table, Histogram, strings) are skipped.
- run.summary / wandb.summary: dict-like, holding each logged key's last value; setting a key or
  update({...}) records it through headroom.summary (a metric at the last step logged).
- wandb.finish(exit_code=None) / run.finish(): writes the pending row, then end "ok" (exit_code
  0 or None) or "failed". wandb.log after finish raises UsageError.
- Ending without finish: an uncaught exception ends the run "failed" (headroom's hook) after
  writing the pending row; a normal exit writes the pending row and end "ok" unless sys.exit()
  was given a failure status, which then decides.
- wandb.run (None before init and after finish), run.id (HEADROOM_RUN_ID), run.name, run.dir
  (the run folder), run.project, run.entity, run.sweep_id (HEADROOM_SWEEP), run.step,
  run.resumed, run.starting_step. Under Headroom, HEADROOM_RESUME and HEADROOM_RUN_ID decide:
  init's resume= and id= are ignored, and a non-empty HEADROOM_PROJECT/ENTITY beats project=
  and entity=, as a W&B sweep's do.
- Inert: wandb.login (True), watch, unwatch, save, define_metric, alert, log_code, setup,
  teardown, require, mark_preempting, Settings, Image, Table, Histogram, Video, Audio, Html,
  Object3D, Molecule, plot.*, Artifact; use_artifact/log_artifact say on stderr that artifacts
  stay local, and Artifact.download() raises.

Not supported: wandb.sweep and wandb.agent raise (`headroom run SWEEP.yaml` runs the sweep); a
YAML file as init(config=...); a second run in one Headroom process (init after finish raises);
wandb.Api. Config changes after init stay in memory: the start event records the cell's
parameters. mode="disabled" still reports to Headroom. Outside Headroom (HEADROOM_EVENTS unset)
everything works in memory and nothing is written.
"""

import atexit
import dataclasses
import operator
import os
import secrets
import sys
import tempfile
from collections.abc import Mapping

import headroom

__version__ = "0.0.0+headroom"
headroom_dropin = True


class Error(Exception):
    """The base of this module's errors, as wandb.Error."""


class UsageError(Error):
    """A call the drop-in (or W&B) does not allow here."""


class ConfigError(Error):
    """A config value changed without allow_val_change."""


def termlog(string="", newline=True, repeat=True, prefix=True):
    print(f"wandb: {string}" if prefix else string, file=sys.stderr, end="\n" if newline else "")


def termwarn(string, repeat=True, prefix=True):
    print(f"wandb: WARNING {string}" if prefix else string, file=sys.stderr)


def termerror(string, repeat=True, prefix=True):
    print(f"wandb: ERROR {string}" if prefix else string, file=sys.stderr)


def _as_dict(source):
    """A dict from what W&B accepts as a config: a mapping, argparse.Namespace, absl flags or a
    dataclass instance."""
    if source is None:
        return {}
    if isinstance(source, Config):
        return source.as_dict()
    if isinstance(source, Mapping):
        return dict(source)
    if isinstance(source, (str, os.PathLike)):
        raise UsageError("the Headroom drop-in reads no config files; pass wandb.init a dict")
    if dataclasses.is_dataclass(source) and not isinstance(source, type):
        return dataclasses.asdict(source)
    if callable(getattr(source, "flag_values_dict", None)):
        return dict(source.flag_values_dict())
    if hasattr(source, "__dict__"):
        return {key: value for key, value in vars(source).items() if not key.startswith("_")}
    raise TypeError(f"a config is a dict, not {type(source).__name__}")


def _merged(base, override):
    """base with override's keys replaced, recursing into dicts both have."""
    result = dict(base)
    for key, value in override.items():
        if isinstance(result.get(key), dict) and isinstance(value, dict):
            result[key] = _merged(result[key], value)
        else:
            result[key] = value
    return result


def _same(a, b):
    try:
        return bool(a == b)
    except Exception:  # e.g. arrays, whose == is elementwise
        return a is b


class Config:
    """The run's hyperparameters: attribute and item access to a dict."""

    def __init__(self):
        object.__setattr__(self, "_items", {})
        object.__setattr__(self, "_locked", {})  # key -> who set it ("sweep")

    def __getitem__(self, key):
        return self._items[key]

    def __getattr__(self, key):
        if key.startswith("__"):  # copy, pickle and friends probe for these
            raise AttributeError(key)
        try:
            return self._items[key]
        except KeyError:
            raise AttributeError(f"wandb.config has no key {key!r}") from None

    def __setitem__(self, key, value):
        self.update({key: value})

    __setattr__ = __setitem__

    def __contains__(self, key):
        return key in self._items

    def __iter__(self):
        return iter(self.keys())

    def __len__(self):
        return len(self.keys())

    def __repr__(self):
        return repr(self.as_dict())

    def keys(self):
        return [key for key in self._items if not str(key).startswith("_")]

    def items(self):
        return [(key, self._items[key]) for key in self.keys()]

    def values(self):
        return [self._items[key] for key in self.keys()]

    def get(self, key, default=None):
        return self._items.get(key, default)

    def as_dict(self):
        return dict(self.items())

    def update(self, values, allow_val_change=None):
        accepted = {}
        for key, value in _as_dict(values).items():
            key = str(key).strip("-")  # W&B keys drop the dashes of command-line flags
            if key in self._locked:
                # Quiet when the value agrees, as with a script's flags that Headroom set.
                if not _same(self._items.get(key), value):
                    termwarn(f"Config item '{key}' is set by the {self._locked[key]}; "
                             "ignored the update.")
                continue
            if not allow_val_change and key in self._items and not _same(self._items[key], value):
                raise ConfigError(f'Attempted to change the value of config key "{key}" from '
                                  f"{self._items[key]!r} to {value!r}; pass allow_val_change=True "
                                  "to config.update() to allow it.")
            accepted[key] = value
        self._items.update(accepted)  # all or nothing, as W&B checks every key first

    def setdefaults(self, values):
        for key, value in _as_dict(values).items():
            self._items.setdefault(str(key).strip("-"), value)

    def _merge_locked(self, values, user):
        for key, value in values.items():
            key = str(key).strip("-")
            current = self._items.get(key)
            both_dicts = isinstance(current, dict) and isinstance(value, dict)
            self._items[key] = _merged(current, value) if both_dicts else value
            self._locked[key] = user


class Summary:
    """The run's final values: each logged key's last value, and what the script sets."""

    def __init__(self, run):
        object.__setattr__(self, "_run", run)
        object.__setattr__(self, "_values", {})

    def __getitem__(self, key):
        return self._values[key]

    def __getattr__(self, key):
        if key.startswith("__"):
            raise AttributeError(key)
        try:
            return self._values[key]
        except KeyError:
            raise AttributeError(f"wandb.summary has no key {key!r}") from None

    def __setitem__(self, key, value):
        self.update({key: value})

    __setattr__ = __setitem__

    def __delitem__(self, key):
        del self._values[key]

    def __contains__(self, key):
        return key in self._values

    def __iter__(self):
        return iter(self._values)

    def __len__(self):
        return len(self._values)

    def __repr__(self):
        return repr(self._values)

    def keys(self):
        return self._values.keys()

    def items(self):
        return self._values.items()

    def values(self):
        return self._values.values()

    def get(self, key, default=None):
        return self._values.get(key, default)

    def update(self, values=None, **more):
        values = {**(values or {}), **more}
        if self._run is None:
            raise UsageError("You must call wandb.init() before setting wandb.summary")
        self._run._check_not_finished("summary.update")
        self._values.update(headroom.flatten(values))
        headroom.summary(values)


class Run:
    """One W&B run: the Headroom attempt this process is."""

    def __init__(self, config, project, entity, name, group, job_type, tags, notes, run_id,
                 settings):
        self.config = config
        self.summary = Summary(self)
        self.id = run_id
        self.name = name or run_id
        self.project = project
        self.entity = entity
        self.group = group
        self.job_type = job_type
        self.tags = tuple(tags or ())
        self.notes = notes
        self.settings = settings
        self.sweep_id = (headroom.active() and os.environ.get("HEADROOM_SWEEP")) or None
        self.resumed = headroom.resuming()
        last = headroom.last_step() if self.resumed else None
        self.starting_step = 0 if last is None else last + 1
        self.offline = True
        self.disabled = False
        self.url = None
        self._step = self.starting_step
        self._row = {}  # the current step's data, not written yet
        self._finished = False
        self._dir = None

    @property
    def step(self):
        return self._step

    @property
    def dir(self):
        if self._dir is None:
            # Outside Headroom a temporary folder, so files saved "to the run" litter nothing.
            active = headroom.active()
            self._dir = headroom.run_dir() if active else tempfile.mkdtemp(prefix="wandb-run-")
        return self._dir

    @property
    def path(self):
        return f"{self.entity or ''}/{self.project}/{self.id}"

    def project_name(self):
        return self.project

    def get_url(self):
        return None

    get_project_url = get_sweep_url = get_url

    def log(self, data, step=None, commit=None, sync=None):
        self._check_not_finished("log")
        if not isinstance(data, Mapping):
            raise ValueError("wandb.log must be passed a dictionary")
        if any(not isinstance(key, str) for key in data):
            raise ValueError("Key values passed to `wandb.log` must be strings.")
        if step is not None:
            step = operator.index(step)
            if step < self._step:
                termwarn(f"Dropped data logged to step {step}, below the current step "
                         f"{self._step}: steps only go forward.")
                return
            if step > self._step:
                self._commit()
                self._step = step
        elif commit is None:
            commit = True
        self._row.update(data)
        if commit:
            self._commit()

    def finish(self, exit_code=None, quiet=None):
        if exit_code in (None, 0):
            self._finish("ok", None)
        else:
            self._finish("failed", f"The script finished its W&B run with exit code {exit_code}.")

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, traceback):
        if exc_type is None:
            self.finish()
        elif issubclass(exc_type, SystemExit):
            _note_exit_status(exc.code)
            if exc.code in (None, 0):
                self.finish()
            else:
                self._commit()  # the exit status says why it stopped
        else:
            message = str(exc).strip()
            error = f"{exc_type.__name__}: {message}" if message else exc_type.__name__
            self._finish("failed", error)
        return False

    # Accepted and ignored: nothing leaves the machine.
    def log_code(self, *args, **kwargs):
        return None

    def watch(self, *args, **kwargs):
        return None

    def unwatch(self, *args, **kwargs):
        return None

    def save(self, *args, **kwargs):
        return []

    def define_metric(self, name, *args, **kwargs):
        return _Inert()

    def alert(self, *args, **kwargs):
        return None

    def mark_preempting(self):
        return None

    def log_artifact(self, artifact, *args, **kwargs):
        termlog("artifacts stay local under Headroom; log_artifact() uploads nothing.")
        return artifact

    def use_artifact(self, artifact, *args, **kwargs):
        termlog("artifacts stay local under Headroom; use_artifact() fetches nothing.")
        return artifact if isinstance(artifact, Artifact) else Artifact(str(artifact))

    def _check_not_finished(self, call):
        if self._finished:
            raise UsageError(f"Run {self.id} is finished: {call}() after finish() is not recorded.")

    def _commit(self):
        """Write the current step's row, if it has data, and move to the next step."""
        if not self._row:
            return
        row, self._row = self._row, {}
        headroom.log(row, step=self._step)
        self.summary._values.update(headroom.flatten(row))
        self._step += 1

    def _finish(self, status, error):
        if self._finished:
            return
        self._commit()
        headroom.finish(status, error)
        self._finished = True
        if run is self:
            _set_current_run(None)


class Settings:
    """Accepts W&B settings and keeps them as attributes; none changes what the drop-in does."""

    def __init__(self, **settings):
        self.__dict__.update(settings)


class _Inert:
    """Accepts any arguments and does nothing: media are not metrics, so wandb.log skips them."""

    def __init__(self, *args, **kwargs):
        pass

    def __repr__(self):
        return f"<wandb.{type(self).__name__}, inert in the Headroom drop-in>"


class Image(_Inert):
    pass


class Histogram(_Inert):
    pass


class Video(_Inert):
    pass


class Audio(_Inert):
    pass


class Html(_Inert):
    pass


class Object3D(_Inert):
    pass


class Molecule(_Inert):
    pass


class Table(_Inert):
    def __init__(self, columns=None, data=None, *args, **kwargs):
        self.columns = list(columns or [])
        self.data = [list(row) for row in data or []]

    def add_data(self, *row):
        self.data.append(list(row))

    def add_column(self, name, data=None, *args, **kwargs):
        self.columns.append(name)


class Artifact(_Inert):
    def __init__(self, name="", type="", description=None, metadata=None, *args, **kwargs):
        self.name, self.type, self.description = name, type, description
        self.metadata = dict(metadata or {})

    def add_file(self, *args, **kwargs):
        return None

    add_dir = add_reference = add = add_file

    def wait(self, *args, **kwargs):
        return self

    def download(self, *args, **kwargs):
        raise UsageError("artifacts are not available offline: the Headroom drop-in "
                         "downloads nothing")


class _Plots:
    """wandb.plot.line(...), .scatter(...) and the rest: each returns an inert chart."""

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return lambda *args, **kwargs: _Inert()


plot = _Plots()

# The module's state, as in wandb: placeholders before init, the run's objects after.
run = None
config = Config()
summary = Summary(None)
_finished_run = None
_hooks_installed = False
_exit_status = None  # what the script gave sys.exit()
_crashed = False


def _set_current_run(new_run):
    global run, config, summary, _finished_run
    if new_run is None:
        _finished_run = run
    else:
        config, summary = new_run.config, new_run.summary
    run = new_run


def init(project=None, entity=None, config=None, name=None, group=None, job_type=None,
         tags=None, notes=None, reinit=None, mode=None, dir=None, resume=None, id=None,
         settings=None, **kwargs):
    """Start the run: the cell's parameters over the script's config. Returns the Run."""
    if run is not None:
        if reinit:
            termwarn("Headroom runs one W&B run per process; wandb.init() returns the active run.")
        return run
    if _finished_run is not None and headroom.active():
        raise UsageError("Under Headroom a process is one run: wandb.init() after finish() "
                         "is not supported.")
    sweep_parameters = headroom.init()  # writes the start event (and installs headroom's hook)
    run_config = Config()
    run_config.update(globals()["config"].as_dict(), allow_val_change=True)
    run_config.update(config, allow_val_change=True)
    run_config._merge_locked(sweep_parameters, "sweep")
    in_headroom = headroom.active()
    run_id = (in_headroom and os.environ.get("HEADROOM_RUN_ID")) or id or secrets.token_hex(4)
    new_run = Run(
        config=run_config,
        project=(in_headroom and os.environ.get("HEADROOM_PROJECT")) or project or "uncategorized",
        entity=(in_headroom and os.environ.get("HEADROOM_ENTITY")) or entity,
        name=name, group=group, job_type=job_type, tags=tags, notes=notes, run_id=run_id,
        settings=settings)
    _install_hooks()
    _set_current_run(new_run)
    return new_run


def _active_run(call):
    if run is None:
        if _finished_run is not None:
            _finished_run._check_not_finished(call)
        raise UsageError(f"You must call wandb.init() before wandb.{call}()")
    return run


def log(data, step=None, commit=None, sync=None):
    _active_run("log").log(data, step=step, commit=commit, sync=sync)


def finish(exit_code=None, quiet=None):
    if run is not None:
        run.finish(exit_code=exit_code, quiet=quiet)


def login(*args, **kwargs):
    return True


def setup(*args, **kwargs):
    return None


def teardown(*args, **kwargs):
    return None


def require(*args, **kwargs):
    return None


def watch(*args, **kwargs):
    return None


def unwatch(*args, **kwargs):
    return None


def save(*args, **kwargs):
    return []


def define_metric(name, *args, **kwargs):
    return _Inert()


def alert(*args, **kwargs):
    return None


def mark_preempting():
    return None


def log_artifact(artifact, *args, **kwargs):
    termlog("artifacts stay local under Headroom; log_artifact() uploads nothing.")
    return artifact


def use_artifact(artifact, *args, **kwargs):
    termlog("artifacts stay local under Headroom; use_artifact() fetches nothing.")
    return artifact if isinstance(artifact, Artifact) else Artifact(str(artifact))


def _not_under_headroom(call):
    raise UsageError(f"wandb.{call}() is not available under Headroom: `headroom run SWEEP.yaml` "
                     "runs the sweep and starts this script once per cell, so the script must "
                     "not create or run a sweep of its own.")


def sweep(*args, **kwargs):
    _not_under_headroom("sweep")


def agent(*args, **kwargs):
    _not_under_headroom("agent")


def controller(*args, **kwargs):
    _not_under_headroom("controller")


# --- ending a run the script did not finish ------------------------------------------------

def _note_exit_status(status):
    global _exit_status
    _exit_status = status


def _install_hooks():
    global _hooks_installed
    if _hooks_installed:
        return
    _hooks_installed = True
    # Installed after headroom's hook, so this one runs first and chains to it.
    previous_excepthook = sys.excepthook

    def excepthook(exc_type, exc, traceback):
        global _crashed
        _crashed = True
        try:
            if run is not None:
                run._commit()  # the data logged before the crash is kept
        except Exception:
            pass
        previous_excepthook(exc_type, exc, traceback)

    sys.excepthook = excepthook
    # W&B also wraps sys.exit: at exit, the status tells a failure from a normal end.
    original_exit = sys.exit

    def exit(status=None):
        _note_exit_status(status)
        original_exit(status)

    sys.exit = exit
    atexit.register(_finish_at_exit)


def _finish_at_exit():
    if run is None or _crashed or headroom.finished():
        return
    run._commit()
    if _exit_status in (None, 0):
        run._finish("ok", None)
