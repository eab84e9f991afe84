"""Tests of the example workers in tests/workers/programs (which the C++ end-to-end tests run).

Run from the repository root (standard library only):

    python3 -m unittest discover -s tests/workers/python -v
    /usr/bin/python3 tests/workers/python/test_example_programs.py    # this file alone

The mlp_torch.py tests need an interpreter with PyTorch (Debian's /usr/bin/python3 here) and are
skipped under one without it; they start torch four times, so they take several seconds.
"""

import importlib.util
import json
import shutil
import signal
import subprocess
import sys
import unittest

from worker_support import PROGRAMS, WorkerTestCase

HAVE_TORCH = importlib.util.find_spec("torch") is not None
MLP = PROGRAMS / "mlp_torch.py"
SMALL = ["--steps=40", "--log-every=10", "--checkpoint-every=20", "--hidden=16", "--lr=0.1"]


@unittest.skipUnless(HAVE_TORCH, "this interpreter has no torch (try /usr/bin/python3)")
class MlpTorch(WorkerTestCase):
    def run_mlp(self, args, **environment):
        return self.run_program(MLP, self.environment(OMP_NUM_THREADS="1", **environment),
                                args=args)

    def test_a_run_stopped_by_sigterm_resumes_to_the_same_result(self):
        uninterrupted = self.run_mlp(SMALL)
        self.assert_exit(uninterrupted, 0)
        whole = self.events()
        self.assertEqual([(event["event"], event.get("step")) for event in whole], [
            ("start", None), ("metric", 10), ("metric", 20), ("checkpoint", 20),
            ("metric", 30), ("metric", 40), ("eval", 40), ("end", None)])
        self.assertEqual(set(whole[-2]["values"]), {"eval/loss", "eval/accuracy"})
        self.assertGreater(whole[-2]["values"]["eval/accuracy"], 0.6)
        self.assertEqual(whole[-1], {"event": "end", "status": "ok"})

        # The same run, slowed down and stopped after its first metric.
        self.events_path.unlink()
        shutil.rmtree(self.checkpoint_path)
        process = subprocess.Popen(
            [sys.executable, str(MLP), *SMALL, "--step-delay=0.05"],
            env=self.environment(OMP_NUM_THREADS="1"), cwd=self.root,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            self.wait_for(lambda: '"event":"metric"' in self._events_text())
            process.send_signal(signal.SIGTERM)
            _, stderr = process.communicate(timeout=60)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
        self.assertEqual(process.returncode, 4, stderr)
        stopped = self.events()
        self.assertEqual([event["event"] for event in stopped[-2:]], ["checkpoint", "end"])
        self.assertEqual(stopped[-1]["status"], "preempted")
        stopped_at = stopped[-2]["step"]
        self.assertTrue(10 <= stopped_at < 40, stopped_at)

        # The next attempt: a new events file, the checkpoint folder copied, HEADROOM_RESUME=1.
        self.events_path.unlink()
        resumed = self.run_mlp(SMALL, HEADROOM_RESUME="1")
        self.assert_exit(resumed, 0)
        events = self.events()
        self.assertEqual(events[0], {"event": "start", "config": {},
                                     "resumed_from_step": stopped_at})
        # One thread, the same batches, the optimiser's state restored: the same numbers.
        later = [event for event in whole if event.get("step", -1) > stopped_at]
        self.assertEqual([event for event in events[1:-1] if event["event"] != "checkpoint"],
                         [event for event in later if event["event"] != "checkpoint"])
        self.assertEqual(events[-1], {"event": "end", "status": "ok"})

    def test_a_non_finite_loss_ends_diverged(self):
        result = self.run_mlp(["--lr=1e38"])
        self.assert_exit(result, 3)
        events = self.events()
        self.assertEqual(events[-2]["values"], {"train/loss": None})
        self.assertEqual(events[-1]["status"], "diverged")

    def _events_text(self):
        return self.events_path.read_text() if self.events_path.exists() else ""


class ShellWorker(WorkerTestCase):
    def test_it_echoes_its_arguments_and_writes_no_events(self):
        result = self.run_program(PROGRAMS / "shell_worker.sh", self.environment(),
                                  args=["--x=1", "--name=two words"], interpreter="/bin/sh")
        self.assert_exit(result, 0)
        self.assertEqual(result.stdout.splitlines(), [
            "shell worker: argument --x=1", "shell worker: argument --name=two words",
            f"shell worker: run folder {self.run_dir}"])
        self.assertEqual(result.stderr, "shell worker: a line on stderr\n")
        self.assertFalse(self.events_path.exists())

    def test_fail_exits_1_with_a_message(self):
        result = self.run_program(PROGRAMS / "shell_worker.sh", self.environment(),
                                  args=["--fail=1"], interpreter="/bin/sh")
        self.assert_exit(result, 1)
        self.assertIn("failing as asked", result.stderr)


class StdoutMetrics(WorkerTestCase):
    def test_json_lines_among_text(self):
        result = self.run_program(PROGRAMS / "stdout_metrics.py", self.environment(),
                                  args=["--steps=3", "--scale=2", "--other=ignored"])
        self.assert_exit(result, 0)
        objects = []
        for line in result.stdout.splitlines():
            try:
                value = json.loads(line)
            except ValueError:
                continue
            if isinstance(value, dict):
                objects.append(value)
        self.assertEqual(objects, [{"step": 0, "loss": 2.0}, {"step": 1, "loss": 1.0},
                                   {"step": 2, "loss": 2 / 3}, {"step": 2, "accuracy": 0.7}])
        self.assertIn("step 0 done", result.stdout)
        self.assertIn("[1, 2, 3]", result.stdout)
        self.assertFalse(self.events_path.exists())


if __name__ == "__main__":
    unittest.main()
