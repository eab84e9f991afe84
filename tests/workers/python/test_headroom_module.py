"""Tests of workers/python/headroom.py, the worker-side helper of the events protocol.

Run from the repository root (standard library only; any Python 3.11):

    python3 -m unittest discover -s tests/workers/python -v
    python3 tests/workers/python/test_headroom_module.py        # this file alone

Each test gets a fresh run folder, runs a small script in a subprocess with the HEADROOM_*
environment and checks the events file line by line.
"""

import json
import signal
import subprocess
import sys
import unittest

from worker_support import WORKERS, WorkerTestCase

sys.dont_write_bytecode = True  # leave no __pycache__ in workers/python
sys.path.insert(0, str(WORKERS))
import headroom  # noqa: E402  (only its pure functions are used in this process)


class PureFunctions(unittest.TestCase):
    def test_flatten_joins_nested_names_with_slashes(self):
        self.assertEqual(headroom.flatten({"train": {"loss": 1, "lr": {"x": 2}}, "a": 3}),
                         {"train/loss": 1, "train/lr/x": 2, "a": 3})

    def test_exit_codes(self):
        self.assertEqual({status: headroom.exit_code(status) for status in headroom.EXIT_CODES},
                         {"ok": 0, "failed": 1, "invalid_config": 2, "diverged": 3,
                          "preempted": 4})
        with self.assertRaises(ValueError):
            headroom.exit_code("done")


class HeadroomModule(WorkerTestCase):
    def test_importing_and_reading_the_config_write_nothing(self):
        result = self.run_python(
            "import headroom, json\n"
            "print(json.dumps([headroom.config, headroom.get_config() is headroom.config,"
            " headroom.resuming(), headroom.last_step()]))\n",
            self.environment(config={"lr": 0.1, "model": {"width": 8}}))
        self.assert_exit(result, 0)
        self.assertEqual(json.loads(result.stdout),
                         [{"lr": 0.1, "model": {"width": 8}}, True, False, None])
        self.assertFalse(self.events_path.exists())

    def test_start_event_carries_the_config(self):
        config = {"lr": 0.1, "model": {"width": 8, "act": "relu"}, "tags": ["a"]}
        result = self.run_python(
            "import headroom, json\n"
            "print(json.dumps(headroom.init())); headroom.init()\n",
            self.environment(config=config))
        self.assert_exit(result, 0)
        self.assertEqual(json.loads(result.stdout), config)
        self.assertEqual(self.events(),
                         [{"event": "start", "config": config, "resumed_from_step": 0}])

    def test_log_numbers_steps_and_converts_values(self):
        result = self.run_python(
            "import headroom\n"
            "class Scalar:  # like a numpy scalar or a one-element tensor\n"
            "    def __init__(self, value): self.value = value\n"
            "    def item(self): return self.value\n"
            "class Array:\n"
            "    def item(self): raise ValueError('more than one element')\n"
            "headroom.log({'a': 1, 'train': {'loss': 0.5}})\n"
            "headroom.log({'nan': float('nan'), 'inf': float('-inf'), 'none': None,"
            " 'flag': True, 'text': 'skipped', 'list': [1], 'scalar': Scalar(2.5),"
            " 'array': Array(), 'big': 2**70})\n"
            "headroom.log({'x': 2}, step=10)\n"
            "headroom.log({'y': 3})\n"
            "headroom.log({'back': 4}, step=3)\n"
            "headroom.log_eval({'eval/acc': 0.75})\n"
            "print(headroom.last_step())\n",
            self.environment())
        self.assert_exit(result, 0)
        self.assertEqual(result.stdout, "12\n")
        self.assertEqual(self.events()[1:], [
            {"event": "metric", "step": 0, "values": {"a": 1, "train/loss": 0.5}},
            {"event": "metric", "step": 1,
             "values": {"nan": None, "inf": None, "none": None, "flag": 1, "scalar": 2.5,
                        "big": float(2**70)}},
            {"event": "metric", "step": 10, "values": {"x": 2}},
            {"event": "metric", "step": 11, "values": {"y": 3}},
            {"event": "metric", "step": 3, "values": {"back": 4}},
            {"event": "eval", "step": 12, "values": {"eval/acc": 0.75}},
        ])

    def test_names_the_protocol_refuses_are_skipped_with_a_warning(self):
        result = self.run_python(
            "import headroom\n"
            "headroom.log({'ok': 1, 'bad\\nname': 2, '': 3, 'n' * 201: 4, 'm' * 200: 5})\n"
            "headroom.log({'bad\\nname': 6}, step=1)\n",
            self.environment())
        self.assert_exit(result, 0)
        self.assertEqual(self.events()[1:], [
            {"event": "metric", "step": 0, "values": {"ok": 1, "m" * 200: 5}},
        ])
        self.assertEqual(result.stderr.count("skipped the metric"), 3)  # once per name

    def test_a_bad_step_raises(self):
        result = self.run_python(
            "import headroom\n"
            "for step in (-1, 1.5, True, '3', 2**63):\n"
            "    try:\n"
            "        headroom.log({'a': 1}, step=step)\n"
            "    except ValueError:\n"
            "        print('refused', step)\n"
            "headroom.checkpoint(2**63 - 1)\n",
            self.environment())
        self.assert_exit(result, 0)
        self.assertEqual(result.stdout.count("refused"), 5)
        self.assertEqual(self.kinds(), ["start", "checkpoint"])

    def test_summary_goes_to_the_highest_step(self):
        result = self.run_python(
            "import headroom\n"
            "for step in range(4): headroom.log({'loss': 1 / (step + 1)})\n"
            "headroom.log({'loss': 9}, step=1)\n"
            "headroom.summary({'best': {'loss': 0.25}, 'name': 'skipped'})\n"
            "headroom.log({'after': 1})\n",
            self.environment())
        self.assert_exit(result, 0)
        events = self.events()
        self.assertEqual(events[-2], {"event": "metric", "step": 3,
                                      "values": {"best/loss": 0.25}})
        self.assertEqual(events[-1], {"event": "metric", "step": 4, "values": {"after": 1}})

    def test_summary_before_any_step_goes_to_step_zero(self):
        result = self.run_python("import headroom\nheadroom.summary({'best': 1.5})\n",
                                 self.environment())
        self.assert_exit(result, 0)
        self.assertEqual(self.events()[1:],
                         [{"event": "metric", "step": 0, "values": {"best": 1.5}}])

    def test_checkpoint_then_finish_ok(self):
        result = self.run_python(
            "import headroom, os\n"
            "headroom.log({'loss': 1.0}, step=5)\n"
            "path = os.path.join(headroom.checkpoint_dir(), 'state.bin')\n"
            "open(path, 'w').write('state')\n"
            "headroom.checkpoint(5)\n"
            "headroom.finish()\n"
            "headroom.finish('failed', 'ignored: the first end counts')\n"
            "print(headroom.finished())\n",
            self.environment())
        self.assert_exit(result, 0)
        self.assertEqual(result.stdout, "True\n")
        self.assertEqual(self.events(), [
            {"event": "start", "config": {}, "resumed_from_step": 0},
            {"event": "metric", "step": 5, "values": {"loss": 1.0}},
            {"event": "checkpoint", "step": 5},
            {"event": "end", "status": "ok"},
        ])
        progress = json.loads((self.checkpoint_path / ".headroom-progress.json").read_text())
        self.assertEqual(progress, {"v": 1, "step": 5, "last_step": 5})

    def test_finish_with_exit_uses_the_status_exit_code(self):
        for status, code in (("diverged", 3), ("invalid_config", 2), ("failed", 1)):
            with self.subTest(status=status):
                self.events_path.unlink(missing_ok=True)
                result = self.run_python(
                    "import headroom\n"
                    f"headroom.finish({status!r}, 'The loss was nan.', exit=True)\n"
                    "print('not reached')\n",
                    self.environment())
                self.assert_exit(result, code)
                self.assertEqual(result.stdout, "")
                self.assertEqual(self.events()[-1],
                                 {"event": "end", "status": status,
                                  "error": "The loss was nan."})

    def test_an_end_other_than_ok_always_has_an_error(self):
        result = self.run_python("import headroom\nheadroom.finish('failed')\n",
                                 self.environment())
        self.assert_exit(result, 0)
        self.assertEqual(self.events()[-1], {"event": "end", "status": "failed",
                                             "error": "The worker ended with status failed."})

    def test_an_uncaught_exception_ends_failed(self):
        result = self.run_python(
            "import headroom\n"
            "headroom.log({'loss': 1.0})\n"
            "raise ValueError('the batch size must be positive')\n",
            self.environment())
        self.assert_exit(result, 1)
        self.assertIn("Traceback", result.stderr)  # the previous hook still prints it
        self.assertEqual(self.events()[-1],
                         {"event": "end", "status": "failed",
                          "error": "ValueError: the batch size must be positive"})

    def test_an_exception_before_start_writes_nothing(self):
        result = self.run_python("import headroom\nraise KeyError('x')\n", self.environment())
        self.assert_exit(result, 1)
        self.assertFalse(self.events_path.exists())

    def test_a_normal_exit_writes_no_end(self):
        for tail, code in (("", 0), ("import sys; sys.exit(2)\n", 2)):
            with self.subTest(code=code):
                self.events_path.unlink(missing_ok=True)
                result = self.run_python("import headroom\nheadroom.log({'a': 1})\n" + tail,
                                         self.environment())
                self.assert_exit(result, code)
                self.assertEqual(self.kinds(), ["start", "metric"])

    def test_outside_headroom_nothing_is_written(self):
        result = self.run_python(
            "import headroom, json, os\n"
            "headroom.handle_sigterm()\n"
            "headroom.log({'a': 1}); headroom.log_eval({'b': 2}); headroom.summary({'c': 3})\n"
            "checkpoints = headroom.checkpoint_dir()\n"
            "headroom.checkpoint(1); headroom.finish()\n"
            "print(json.dumps([headroom.config, headroom.init(), headroom.active(),"
            " headroom.resuming(), headroom.stop_requested(), os.path.isdir(checkpoints),"
            " headroom.run_dir() == os.getcwd()]))\n"
            "os.rmdir(checkpoints)\n"
            "headroom.finish('diverged', 'x', exit=True)\n",
            self.environment(headroom=False))
        self.assert_exit(result, 3)
        self.assertEqual(json.loads(result.stdout), [{}, {}, False, False, False, True, True])
        self.assertEqual(sorted(path.name for path in self.root.iterdir()), ["run", "script.py"])
        self.assertEqual(list(self.run_dir.iterdir()), [])

    def test_events_without_a_config_file_mean_an_empty_config(self):
        env = self.environment()
        del env["HEADROOM_CONFIG"]
        result = self.run_python("import headroom\nheadroom.log({'a': 1})\n", env)
        self.assert_exit(result, 0)
        self.assertEqual(self.events()[0],
                         {"event": "start", "config": {}, "resumed_from_step": 0})

    def test_resume_continues_after_the_events_file_and_ignores_a_torn_line(self):
        earlier = [
            {"v": 1, "event": "start", "time": 1.0, "config": {}, "resumed_from_step": 0},
            {"v": 1, "event": "metric", "time": 1.0, "step": 7, "values": {"loss": 2.0}},
            {"v": 1, "event": "eval", "time": 1.0, "step": 8, "values": {"acc": 0.5}},
            {"v": 1, "event": "checkpoint", "time": 1.0, "step": 6},
            {"v": 1, "event": "metric", "time": 1.0, "step": 4, "values": {"loss": 3.0}},
        ]
        torn = '{"v":1,"event":"metric","time":1.0,"step":99,"val'
        text = "".join(json.dumps(event) + "\n" for event in earlier) + torn
        self.events_path.write_text(text)
        result = self.run_python(
            "import headroom\n"
            "print(headroom.last_step())\n"
            "headroom.log({'loss': 1.0})\n"
            "headroom.summary({'best': 0.5})\n",
            self.environment(resume=True))
        self.assert_exit(result, 0)
        self.assertEqual(result.stdout, "8\n")
        lines = self.events_path.read_text().splitlines()
        self.assertEqual(lines[len(earlier)], torn)  # ended by a newline, left as it was
        new = [json.loads(line) for line in lines[len(earlier) + 1:]]
        for event in new:
            del event["v"], event["time"]
        self.assertEqual(new, [
            {"event": "start", "config": {}, "resumed_from_step": 6},
            {"event": "metric", "step": 9, "values": {"loss": 1.0}},
            {"event": "metric", "step": 9, "values": {"best": 0.5}},
        ])

    def test_a_retried_attempt_resumes_from_the_copied_checkpoint_folder(self):
        first = self.run_python(
            "import headroom\n"
            "for step in range(5): headroom.log({'loss': 1.0})\n"
            "headroom.checkpoint(3)\n",
            self.environment())
        self.assert_exit(first, 0)
        self.events_path.unlink()  # the next attempt's folder: a new events file
        second = self.run_python(
            "import headroom\n"
            "print(headroom.resuming(), headroom.last_step())\n"
            "headroom.log({'loss': 0.5})\n",
            self.environment(resume=True))
        self.assert_exit(second, 0)
        self.assertEqual(second.stdout, "True 4\n")
        self.assertEqual(self.events(), [
            {"event": "start", "config": {}, "resumed_from_step": 3},
            {"event": "metric", "step": 5, "values": {"loss": 0.5}},
        ])

    def test_without_resume_numbering_starts_at_zero(self):
        self.events_path.write_text(json.dumps(
            {"v": 1, "event": "metric", "time": 1.0, "step": 7, "values": {"a": 1}}) + "\n")
        result = self.run_python("import headroom\nheadroom.log({'a': 2})\n",
                                 self.environment(resume=False))
        self.assert_exit(result, 0)
        self.assertEqual(self.events()[-1], {"event": "metric", "step": 0, "values": {"a": 2}})

    def test_sigterm_lets_the_loop_checkpoint_and_end_preempted(self):
        script = self.write_script(
            "import headroom, time\n"
            "headroom.handle_sigterm()\n"
            "headroom.log({'loss': 1.0}, step=0)\n"
            "print('ready', flush=True)\n"
            "deadline = time.monotonic() + 20\n"
            "while not headroom.stop_requested() and time.monotonic() < deadline:\n"
            "    time.sleep(0.005)\n"
            "headroom.checkpoint(0)\n"
            "headroom.preempted()\n")
        process = subprocess.Popen([sys.executable, str(script)], env=self.environment(),
                                   cwd=self.root, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                   text=True)
        try:
            self.assertEqual(process.stdout.readline(), "ready\n")
            process.send_signal(signal.SIGTERM)
            _, stderr = process.communicate(timeout=20)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
        self.assertEqual(process.returncode, 4, stderr)
        events = self.events()
        self.assertEqual([event["event"] for event in events],
                         ["start", "metric", "checkpoint", "end"])
        self.assertEqual(events[-1]["status"], "preempted")
        self.assertTrue(events[-1]["error"])


if __name__ == "__main__":
    unittest.main()
