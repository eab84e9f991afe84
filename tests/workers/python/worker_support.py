"""What the worker tests share: a fresh run folder per test, the HEADROOM_* environment, running a
program in a subprocess (with this interpreter) and reading its events file line by line."""

import json
import os
import subprocess
import sys
import tempfile
import time
import unittest
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
WORKERS = REPO / "workers" / "python"
DROPIN = WORKERS / "wandb_dropin"
PROGRAMS = REPO / "tests" / "workers" / "programs"


class WorkerTestCase(unittest.TestCase):
    def setUp(self):
        self._temporary = tempfile.TemporaryDirectory(prefix="headroom-worker-test-")
        self.root = Path(self._temporary.name)
        self.run_dir = self.root / "run"
        self.run_dir.mkdir()
        self.events_path = self.run_dir / "events.jsonl"
        self.checkpoint_path = self.run_dir / "checkpoint"

    def tearDown(self):
        self._temporary.cleanup()

    def environment(self, config=None, resume=False, dropin=False, headroom=True, **extra):
        """The environment Headroom gives a worker (none of it with headroom=False)."""
        env = {key: value for key, value in os.environ.items()
               if not key.startswith("HEADROOM_") and key not in ("PYTHONPATH", "WANDB_MODE")}
        paths = ([str(DROPIN)] if dropin else []) + [str(WORKERS)]
        env["PYTHONPATH"] = os.pathsep.join(paths)
        env["PYTHONDONTWRITEBYTECODE"] = "1"  # leave no __pycache__ in the source folders
        if headroom:
            config_path = self.run_dir / "config.json"
            config_path.write_text(json.dumps({} if config is None else config))
            env.update(HEADROOM_RUN_DIR=str(self.run_dir), HEADROOM_EVENTS=str(self.events_path),
                       HEADROOM_CONFIG=str(config_path),
                       HEADROOM_CHECKPOINT_DIR=str(self.checkpoint_path),
                       HEADROOM_RESUME="1" if resume else "0", HEADROOM_RUN_ID="17",
                       HEADROOM_SWEEP="demo", HEADROOM_CELL="0123456789abcdef",
                       HEADROOM_ATTEMPT="1", HEADROOM_PROJECT="", HEADROOM_ENTITY="")
        env.update(extra)
        return env

    def write_script(self, code, name="script.py"):
        path = self.root / name
        path.write_text(code)
        return path

    def run_program(self, program, env, args=(), interpreter=None, timeout=60):
        command = [interpreter or sys.executable, str(program), *args]
        return subprocess.run(command, env=env, cwd=self.root, capture_output=True, text=True,
                              timeout=timeout)

    def run_python(self, code, env, args=(), timeout=60):
        """Run code as a script; returns the CompletedProcess (stdout, stderr as text)."""
        return self.run_program(self.write_script(code), env, args, timeout=timeout)

    def assert_exit(self, result, code):
        self.assertEqual(result.returncode, code,
                         f"exit status {result.returncode}\nstdout:\n{result.stdout}\n"
                         f"stderr:\n{result.stderr}")

    def events(self):
        """The events file's lines as dicts, checking the fields every line has."""
        if not self.events_path.exists():
            return []
        data = self.events_path.read_bytes()
        self.assertTrue(data == b"" or data.endswith(b"\n"), "the last line has no newline")
        events = []
        for line in data.decode("utf-8").splitlines():
            event = json.loads(line)  # json refuses nothing here, so check NaN by hand below
            self.assertNotIn("NaN", line)
            self.assertNotIn("Infinity", line)
            self.assertEqual(event.pop("v"), 1)
            self.assertIsInstance(event.pop("time"), float)
            events.append(event)
        return events

    def kinds(self):
        return [event["event"] for event in self.events()]

    def wait_for(self, predicate, timeout=20):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return True
            time.sleep(0.01)
        self.fail("timed out waiting")
