"""Tests of workers/python/wandb_dropin/wandb, the drop-in that sends a W&B script's metrics to
Headroom.

Run from the repository root (standard library only; any Python 3.11):

    python3 -m unittest discover -s tests/workers/python -v
    python3 tests/workers/python/test_wandb_dropin.py           # this file alone

Each test gets a fresh run folder and runs a script in a subprocess with the HEADROOM_*
environment and PYTHONPATH=workers/python/wandb_dropin:workers/python (the drop-in first, as
Headroom sets it), then checks the events file line by line.
"""

import json
import unittest

from worker_support import PROGRAMS, WorkerTestCase


def script_loss(lr, epoch, optimizer="sgd"):
    """The loss tests/workers/programs/wandb_script.py logs."""
    return (lr - 0.01) ** 2 * 100 + 1 / (epoch + 1) + (0.5 if optimizer == "adam" else 0)


class WandbDropin(WorkerTestCase):
    def run_wandb(self, code, **environment):
        return self.run_python("import json, sys, wandb\n" + code,
                               self.environment(dropin=True, **environment))

    def test_the_example_script_reports_its_losses(self):
        result = self.run_program(PROGRAMS / "wandb_script.py",
                                  self.environment(config={"lr": 0.05, "epochs": 3},
                                                   dropin=True),
                                  args=["--lr=0.05", "--epochs=3"])
        self.assert_exit(result, 0)
        losses = [script_loss(0.05, epoch) for epoch in range(3)]
        self.assertEqual(self.events(), [
            {"event": "start", "config": {"lr": 0.05, "epochs": 3}, "resumed_from_step": 0},
            *({"event": "metric", "step": epoch, "values": {"loss": losses[epoch], "epoch": epoch}}
              for epoch in range(3)),
            {"event": "metric", "step": 2, "values": {"best_loss": losses[2]}},
            {"event": "end", "status": "ok"},
        ])

    def test_the_example_script_reads_a_swept_string(self):
        result = self.run_program(PROGRAMS / "wandb_script.py",
                                  self.environment(config={"optimizer": "adam"}, dropin=True))
        self.assert_exit(result, 0)
        metrics = [event for event in self.events() if event["event"] == "metric"]
        self.assertEqual([event["values"].get("loss") for event in metrics[:5]],
                         [script_loss(0.1, epoch, "adam") for epoch in range(5)])
        self.assertEqual(metrics[-1], {"event": "metric", "step": 4,
                                       "values": {"best_loss": script_loss(0.1, 4, "adam")}})

    def test_the_example_script_runs_outside_headroom(self):
        result = self.run_program(PROGRAMS / "wandb_script.py",
                                  self.environment(dropin=True, headroom=False))
        self.assert_exit(result, 0)
        self.assertEqual(result.stdout, f"best_loss {script_loss(0.1, 4)}\n")
        self.assertEqual(list(self.run_dir.iterdir()), [])
        self.assertEqual(sorted(path.name for path in self.root.iterdir()), ["run"])

    def test_markers_and_the_state_before_init(self):
        result = self.run_wandb(
            "print(json.dumps([wandb.__version__, wandb.headroom_dropin, wandb.run is None,"
            " len(wandb.config), wandb.config.as_dict()]))\n"
            "try:\n"
            "    wandb.log({'a': 1})\n"
            "except wandb.Error as error:\n"
            "    print(error)\n")
        self.assert_exit(result, 0)
        first, second = result.stdout.splitlines()
        self.assertEqual(json.loads(first), ["0.0.0+headroom", True, True, 0, {}])
        self.assertIn("wandb.init()", second)
        self.assertFalse(self.events_path.exists())

    def test_sweep_parameters_override_the_scripts_config(self):
        sweep = {"lr": 0.5, "opt": {"name": "adam"}, "layers": 3}
        result = self.run_wandb(
            "wandb.config.preset = 'before init'\n"
            "run = wandb.init(config={'lr': 0.1, 'epochs': 2,"
            " 'opt': {'name': 'sgd', 'beta': 0.9}})\n"
            "c = wandb.config\n"
            "assert c is run.config\n"
            "out = [c.as_dict(), c.lr, c['opt'], 'lr' in c, list(c), c.get('missing', 7)]\n"
            "c.update({'lr': 0.7})  # swept: ignored with a warning\n"
            "c.update({'--lr': 0.5})  # agrees with the sweep: quiet\n"
            "try:\n"
            "    c.update({'epochs': 3})\n"
            "except wandb.Error as error:\n"
            "    out.append(type(error).__name__)\n"
            "c.update({'epochs': 3}, allow_val_change=True)\n"
            "c.setdefaults({'epochs': 9, 'batch': 32})\n"
            "c.momentum = 0.99\n"
            "import argparse\n"
            "c.update(argparse.Namespace(wd=0.01))\n"
            "out += [c.lr, c.epochs, c.batch, c.momentum, c.wd, dict(c.items()) == c.as_dict(),"
            " sorted(c.keys()) == sorted(c.as_dict())]\n"
            "print(json.dumps(out))\n",
            config=sweep)
        self.assert_exit(result, 0)
        self.assertEqual(json.loads(result.stdout), [
            {"preset": "before init", "lr": 0.5, "epochs": 2,
             "opt": {"name": "adam", "beta": 0.9}, "layers": 3},
            0.5, {"name": "adam", "beta": 0.9}, True,
            ["preset", "lr", "epochs", "opt", "layers"], 7, "ConfigError",
            0.5, 3, 32, 0.99, 0.01, True, True])
        self.assertEqual(result.stderr.count("WARNING"), 1)
        self.assertIn("'lr'", result.stderr)
        self.assertEqual(self.events()[0], {"event": "start", "config": sweep,
                                            "resumed_from_step": 0})

    def test_step_and_commit_follow_wandb(self):
        result = self.run_wandb(
            "run = wandb.init()\n"
            "wandb.log({'a': 1})                      # step 0, committed\n"
            "wandb.log({'b': 2}, commit=False)        # step 1 accumulates\n"
            "wandb.log({'b': 3, 'c': 4})              # step 1 merged and committed\n"
            "wandb.log({'d': 5}, step=2)              # step 2, an explicit step accumulates\n"
            "wandb.log({'e': 6}, step=5)              # writes step 2, moves to 5\n"
            "wandb.log({'f': 7}, step=5, commit=True) # step 5 committed\n"
            "wandb.log({'g': 8}, step=3)              # below the current step: dropped\n"
            "wandb.log({'h': 9, 'img': wandb.Image(None), 'text': 'hi', 'n': {'x': 1}})\n"
            "wandb.log({'img': wandb.Image(None)})    # nothing to write; the step moves on\n"
            "wandb.log({'i': float('nan')}, commit=False)\n"
            "print(run.step)\n"
            "wandb.finish()\n")
        self.assert_exit(result, 0)
        self.assertEqual(result.stdout, "8\n")
        self.assertEqual(result.stderr.count("WARNING"), 1)
        self.assertIn("step 3", result.stderr)
        self.assertEqual(self.events()[1:], [
            {"event": "metric", "step": 0, "values": {"a": 1}},
            {"event": "metric", "step": 1, "values": {"b": 3, "c": 4}},
            {"event": "metric", "step": 2, "values": {"d": 5}},
            {"event": "metric", "step": 5, "values": {"e": 6, "f": 7}},
            {"event": "metric", "step": 6, "values": {"h": 9, "n/x": 1}},
            {"event": "metric", "step": 8, "values": {"i": None}},
            {"event": "end", "status": "ok"},
        ])

    def test_summary_holds_logged_values_and_records_what_is_set(self):
        result = self.run_wandb(
            "run = wandb.init()\n"
            "wandb.log({'loss': 2.0}); wandb.log({'loss': 1.0})\n"
            "out = [wandb.summary is run.summary, run.summary['loss'], run.summary.loss]\n"
            "run.summary['best'] = 0.5\n"
            "wandb.summary.update({'acc': 0.9, 'note': 'text'})\n"
            "out += [sorted(run.summary.keys()), 'best' in run.summary]\n"
            "print(json.dumps(out))\n"
            "wandb.finish()\n")
        self.assert_exit(result, 0)
        self.assertEqual(json.loads(result.stdout),
                         [True, 1.0, 1.0, ["acc", "best", "loss", "note"], True])
        self.assertEqual(self.events()[3:], [
            {"event": "metric", "step": 1, "values": {"best": 0.5}},
            {"event": "metric", "step": 1, "values": {"acc": 0.9}},
            {"event": "end", "status": "ok"},
        ])

    def test_finish_then_log_raises(self):
        result = self.run_wandb(
            "run = wandb.init()\n"
            "wandb.log({'a': 1}, commit=False)\n"
            "wandb.finish()\n"
            "wandb.finish()  # a second finish does nothing\n"
            "print(wandb.run is None)\n"
            "for call in (lambda: wandb.log({'a': 2}), lambda: run.log({'a': 2}),"
            " lambda: run.summary.update({'b': 1})):\n"
            "    try:\n"
            "        call()\n"
            "    except wandb.Error as error:\n"
            "        print(type(error).__name__, 'finished' in str(error))\n"
            "try:\n"
            "    wandb.init()\n"
            "except wandb.Error as error:\n"
            "    print('init again:', type(error).__name__)\n")
        self.assert_exit(result, 0)
        self.assertEqual(result.stdout.splitlines(),
                         ["True", "UsageError True", "UsageError True", "UsageError True",
                          "init again: UsageError"])
        self.assertEqual(self.events()[1:], [
            {"event": "metric", "step": 0, "values": {"a": 1}},
            {"event": "end", "status": "ok"},
        ])

    def test_finish_with_an_exit_code_ends_failed(self):
        result = self.run_wandb("wandb.init()\nwandb.finish(exit_code=2)\n")
        self.assert_exit(result, 0)
        end = self.events()[-1]
        self.assertEqual((end["event"], end["status"]), ("end", "failed"))
        self.assertIn("exit code 2", end["error"])

    def test_init_twice_returns_the_same_run(self):
        result = self.run_wandb(
            "first = wandb.init(config={'a': 1})\n"
            "print(wandb.init() is first, wandb.init(reinit=True) is first, wandb.run is first)\n")
        self.assert_exit(result, 0)
        self.assertEqual(result.stdout, "True True True\n")
        self.assertEqual(self.kinds(), ["start", "end"])

    def test_context_manager_finishes_the_run(self):
        result = self.run_wandb(
            "with wandb.init() as run:\n"
            "    wandb.log({'a': 1})\n"
            "print(wandb.run is None)\n")
        self.assert_exit(result, 0)
        self.assertEqual(self.kinds(), ["start", "metric", "end"])
        self.assertEqual(self.events()[-1], {"event": "end", "status": "ok"})

    def test_an_exception_in_the_context_manager_ends_failed(self):
        result = self.run_wandb(
            "with wandb.init() as run:\n"
            "    wandb.log({'a': 1}, commit=False)\n"
            "    raise RuntimeError('boom')\n")
        self.assert_exit(result, 1)
        self.assertEqual(self.events()[1:], [
            {"event": "metric", "step": 0, "values": {"a": 1}},
            {"event": "end", "status": "failed", "error": "RuntimeError: boom"},
        ])

    def test_an_uncaught_exception_keeps_the_pending_row_and_ends_failed(self):
        result = self.run_wandb(
            "wandb.init()\n"
            "wandb.log({'a': 1}, commit=False)\n"
            "raise ValueError('bad shape')\n")
        self.assert_exit(result, 1)
        self.assertIn("Traceback", result.stderr)
        self.assertEqual(self.events()[1:], [
            {"event": "metric", "step": 0, "values": {"a": 1}},
            {"event": "end", "status": "failed", "error": "ValueError: bad shape"},
        ])

    def test_a_normal_exit_without_finish_ends_ok(self):
        result = self.run_wandb("wandb.init()\nwandb.log({'a': 1}, commit=False)\n")
        self.assert_exit(result, 0)
        self.assertEqual(self.events()[1:], [
            {"event": "metric", "step": 0, "values": {"a": 1}},
            {"event": "end", "status": "ok"},
        ])

    def test_a_failing_sys_exit_without_finish_writes_no_end(self):
        result = self.run_wandb("wandb.init()\nwandb.log({'a': 1}, commit=False)\nsys.exit(3)\n")
        self.assert_exit(result, 3)
        self.assertEqual(self.kinds(), ["start", "metric"])

    def test_sweep_and_agent_raise(self):
        result = self.run_wandb(
            "for call in (lambda: wandb.sweep({'method': 'grid'}),"
            " lambda: wandb.agent('abc', function=print)):\n"
            "    try:\n"
            "        call()\n"
            "    except wandb.Error as error:\n"
            "        print(type(error).__name__, 'headroom run' in str(error))\n")
        self.assert_exit(result, 0)
        self.assertEqual(result.stdout, "UsageError True\nUsageError True\n")
        self.assertFalse(self.events_path.exists())

    def test_run_attributes(self):
        result = self.run_wandb(
            "run = wandb.init(project='mine', name='named', tags=['x'])\n"
            "print(json.dumps([run.id, run.name, run.dir, run.project, run.entity,"
            " run.sweep_id, run.step, run.resumed, run.tags, run.url]))\n",
            HEADROOM_ENTITY="team")
        self.assert_exit(result, 0)
        self.assertEqual(json.loads(result.stdout),
                         ["17", "named", str(self.run_dir), "mine", "team", "demo", 0, False,
                          ["x"], None])
        result = self.run_wandb(
            "run = wandb.init(project='mine')\nprint(run.project, run.name)\n",
            HEADROOM_PROJECT="theirs")
        self.assertEqual(result.stdout, "theirs 17\n")

    def test_inert_calls(self):
        result = self.run_wandb(
            "out = [wandb.login(key='x')]\n"
            "run = wandb.init(settings=wandb.Settings(start_method='thread'))\n"
            "out += [run.settings.start_method, wandb.watch(object(), log='all'),"
            " wandb.save('*.pt'), run.log_code('.')]\n"
            "wandb.define_metric('loss', summary='min'); wandb.alert(title='t', text='x')\n"
            "table = wandb.Table(columns=['a']); table.add_data(1)\n"
            "chart = wandb.plot.line(table, 'a', 'a', title='t')\n"
            "wandb.log({'table': table, 'chart': chart, 'h': wandb.Histogram([1, 2]),"
            " 'v': wandb.Video(None), 'au': wandb.Audio(None), 'html': wandb.Html('x'),"
            " 'o': wandb.Object3D(None)})\n"
            "artifact = wandb.Artifact('model', type='model'); artifact.add_file('m.pt')\n"
            "out.append(run.log_artifact(artifact) is artifact)\n"
            "used = wandb.use_artifact('data:latest')\n"
            "try:\n"
            "    used.download()\n"
            "except wandb.Error:\n"
            "    out.append('no download')\n"
            "print(json.dumps(out))\n"
            "wandb.finish()\n")
        self.assert_exit(result, 0)
        self.assertEqual(json.loads(result.stdout),
                         [True, "thread", None, [], None, True, "no download"])
        self.assertIn("artifacts stay local", result.stderr)
        self.assertEqual(self.kinds(), ["start", "end"])

    def test_resume_continues_the_step(self):
        self.events_path.write_text("".join(json.dumps(
            {"v": 1, "event": "metric", "time": 1.0, "step": step, "values": {"a": step}}) + "\n"
            for step in range(5)))
        result = self.run_wandb(
            "run = wandb.init()\n"
            "print(run.resumed, run.starting_step, run.step)\n"
            "wandb.log({'a': 5})\n",
            HEADROOM_RESUME="1")
        self.assert_exit(result, 0)
        self.assertEqual(result.stdout, "True 5 5\n")
        self.assertEqual(self.events()[-2:], [
            {"event": "metric", "step": 5, "values": {"a": 5}},
            {"event": "end", "status": "ok"},
        ])

    def test_outside_headroom_everything_stays_in_memory(self):
        result = self.run_python(
            "import json, os, wandb\n"
            "run = wandb.init(config={'lr': 0.1})\n"
            "wandb.log({'loss': 1.0}); run.summary['best'] = 1.0\n"
            "print(json.dumps([wandb.config.lr, run.step, len(run.id), os.path.isdir(run.dir),"
            " run.dir != os.getcwd(), run.sweep_id]))\n"
            "os.rmdir(run.dir)\n"
            "wandb.finish()\n"
            "wandb.init()  # another run is fine outside Headroom\n",
            self.environment(dropin=True, headroom=False))
        self.assert_exit(result, 0)
        self.assertEqual(json.loads(result.stdout), [0.1, 1, 8, True, True, None])
        self.assertEqual(list(self.run_dir.iterdir()), [])


if __name__ == "__main__":
    unittest.main()
