"""tuneflow_trial: the Python side of tuneflow's command-trainable protocol (v1), in one file.

Copy this file next to your training program (or put its folder on PYTHONPATH). Standard library
only, Python >= 3.8. The protocol itself is documented in docs/trainables-protocol.md.

A tuneflow worker runs your program once per training segment. The program trains the epochs
``from_epoch + 1 .. to_epoch``, reports one line of metrics per finished epoch and keeps its state in
a checkpoint folder that survives retries (``Trial.local`` stands in for the worker here; a real
program calls ``Trial()``)::

    >>> import tempfile
    >>> from tuneflow_trial import Trial
    >>> trial = Trial.local(tempfile.mkdtemp(), params={"lr": 0.25}, to_epoch=3)  # real: Trial()
    >>> lr = trial.params.get("lr", 0.01)
    >>> state, done = trial.load_checkpoint()          # (None, 0) on a fresh trial
    >>> state = state or {"w": 0.0}
    >>> for epoch in trial.epochs(done):               # done+1 .. to_epoch
    ...     state["w"] += lr                           # ... one epoch of training ...
    ...     trial.report(epoch, val_accuracy=state["w"], loss=1 - state["w"])
    ...     trial.save_checkpoint(epoch, state)        # after report: see save_checkpoint
    >>> if trial.stage == "evaluate":
    ...     trial.report_final(test_accuracy=state["w"])
    >>> [(r["epoch"], r["metrics"]["val_accuracy"]) for r in trial.results()]
    [(1, 0.25), (2, 0.5), (3, 0.75)]

What the helper does for you besides reading and writing files:

* SIGTERM (the worker prunes or cancels the trial) stops the program at once with exit status 143,
  but never in the middle of the helper's own writes, so a results line or a checkpoint is either
  whole or absent. ``Trial(on_sigterm="finish_epoch")`` lets the running epoch finish instead.
* If the process that started the program dies (a worker killed with SIGKILL), the program exits
  within a second instead of training on as an orphan: its process group is killed.
* stdout and stderr are made line-buffered, so the worker's log tail is current when it reads it.
"""

import json
import os
import pickle
import re
import signal
import sys
import threading
import time

__all__ = ["Trial", "TrialError", "TrialStopped", "PROTOCOL"]

PROTOCOL = 1
STAGES = ("search", "retrain", "evaluate")
_CHECKPOINT = re.compile(r"^checkpoint-(\d+)(\.[^/]*)?$")
_PARENT_POLL_SECONDS = 1.0


class TrialError(SystemExit):
    """A mistake in how the program was started or how it uses the helper.

    It is a ``SystemExit``: left uncaught, Python prints the message (no traceback) and exits with
    status 1, which fails the trial with that message as its reason. Catch it as ``TrialError``.

    >>> try:
    ...     Trial(path="/nonexistent/trial.json")
    ... except TrialError as err:
    ...     print(err)
    tuneflow_trial: cannot read /nonexistent/trial.json ($TUNEFLOW_TRIAL_FILE): No such file or directory
    """

    def __init__(self, message):
        super().__init__("tuneflow_trial: " + message)


class TrialStopped(SystemExit):
    """Raised where the program is when SIGTERM arrives (the trial was pruned or cancelled).

    It is a ``SystemExit`` with status 143 (128 + SIGTERM), so ``finally`` blocks and ``with``
    statements run and ``except Exception`` does not swallow it.
    """

    def __init__(self, epoch):
        super().__init__(143)
        self.epoch = epoch


def _require(info, field, kind, where):
    if field not in info:
        raise TrialError("%s: field %r is missing" % (where, field))
    value = info[field]
    if not isinstance(value, kind) or isinstance(value, bool):
        raise TrialError("%s: field %r should be %s, got %r" % (where, field, _KIND_NAMES[kind], value))
    return value


_KIND_NAMES = {str: "a string", int: "an integer", dict: "an object"}


def _number(name, value):
    """A metric value as a float (NaN and infinities included), or a TrialError naming the metric."""
    if isinstance(value, (bool, str, bytes)) or value is None:
        raise TrialError("metric %r should be a number, got %r" % (name, value))
    try:
        return float(value)  # int, float, numpy scalars, 0-d arrays, one-element tensors
    except (TypeError, ValueError):
        raise TrialError("metric %r should be a number, got %r" % (name, value)) from None


def _metrics(metrics, keywords):
    merged = dict(metrics or {})
    merged.update(keywords)
    if not merged:
        raise TrialError("report needs at least one metric, e.g. trial.report(epoch, val_accuracy=0.9)")
    out = {}
    for name, value in merged.items():
        if not isinstance(name, str) or not name:
            raise TrialError("metric names should be non-empty strings, got %r" % (name,))
        out[name] = _number(name, value)
    return out


def _pid_alive(pid):
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:
        return True


class Trial:
    """One training segment of one trial, as the tuneflow worker described it.

    ``Trial()`` reads the JSON file named by ``$TUNEFLOW_TRIAL_FILE`` (``path=`` overrides it, for
    tests) and creates the checkpoint and artifacts folders. A clear ``TrialError`` explains what is
    wrong when the program was not started by tuneflow or the file is not what protocol 1 says.

    Attributes (read-only by convention):

    ``params`` (dict), ``seed`` (int), ``stage`` ("search", "retrain" or "evaluate"),
    ``from_epoch``, ``to_epoch``, ``total_epochs`` (ints), ``checkpoint_dir``, ``artifacts_dir``,
    ``results_file`` (absolute paths), ``dataset`` (``{"name": ..., "options": {...}}`` or None),
    ``campaign`` (str), ``number`` (the trial number), ``info`` (the whole trial file as a dict).

    Options: ``on_sigterm="exit"`` (default: stop at once, see ``TrialStopped``) or
    ``"finish_epoch"`` (only set ``should_stop``; ``epochs()`` ends before the next epoch);
    ``watch_parent=False`` turns off the orphan guard.

    >>> import json, os, tempfile
    >>> d = tempfile.mkdtemp()
    >>> info = {"protocol": 1, "campaign": "c1", "trial": 7, "stage": "search", "params": {"lr": 0.1},
    ...         "seed": 123, "fromEpoch": 0, "toEpoch": 2, "totalEpochs": 4,
    ...         "checkpointDir": d + "/ckpt", "artifactsDir": d + "/art", "resultsFile": d + "/results.jsonl",
    ...         "dataset": None}
    >>> with open(d + "/trial.json", "w") as f:
    ...     json.dump(info, f)
    >>> os.environ["TUNEFLOW_TRIAL_FILE"] = d + "/trial.json"    # the worker sets it
    >>> trial = Trial()
    >>> trial.params["lr"], trial.seed, trial.stage, trial.from_epoch, trial.to_epoch, trial.number
    (0.1, 123, 'search', 0, 2, 7)
    >>> os.path.isdir(trial.checkpoint_dir) and os.path.isdir(trial.artifacts_dir)
    True
    >>> del os.environ["TUNEFLOW_TRIAL_FILE"]
    >>> Trial()  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    tuneflow_trial.TrialError: tuneflow_trial: $TUNEFLOW_TRIAL_FILE is not set: ...
    """

    def __init__(self, path=None, on_sigterm="exit", watch_parent=True):
        if on_sigterm not in ("exit", "finish_epoch"):
            raise TrialError("on_sigterm should be 'exit' or 'finish_epoch', got %r" % (on_sigterm,))
        path = path or os.environ.get("TUNEFLOW_TRIAL_FILE")
        if not path:
            raise TrialError(
                "$TUNEFLOW_TRIAL_FILE is not set: this program is a tuneflow trainable and expects a tuneflow "
                "worker to start it (see docs/trainables-protocol.md); to try it by hand, write a trial file "
                "and set TUNEFLOW_TRIAL_FILE to its path"
            )
        self.info = self._read(path)
        self.trial_file = os.path.abspath(path)
        self._stop_requested = False
        self._critical = 0
        self._pending_stop = False
        self._current_epoch = None
        self._on_sigterm = on_sigterm
        self._loaded_epoch = None
        for folder in (self.checkpoint_dir, self.artifacts_dir, os.path.dirname(self.results_file)):
            os.makedirs(folder, exist_ok=True)
        _line_buffered()
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, self._on_term)
        if watch_parent:
            _watch_parent(os.getppid())

    @classmethod
    def local(cls, folder, params=None, stage="search", from_epoch=0, to_epoch=1, total_epochs=None, seed=0,
              dataset=None, **options):
        """A trial of your own, without a worker: writes ``folder/trial.json`` and reads it.

        For trying a program by hand and for its unit tests. Checkpoints go to
        ``folder/checkpoints``, artifacts to ``folder/artifacts``, results to
        ``folder/results.jsonl``; calling it again on the same folder continues the same trial.
        ``options`` are those of ``Trial()``; the orphan guard is off.

        >>> import tempfile
        >>> trial = Trial.local(tempfile.mkdtemp(), params={"alpha": 0.001}, to_epoch=3, seed=5)
        >>> trial.params, trial.seed, trial.stage, trial.from_epoch, trial.to_epoch, trial.total_epochs
        ({'alpha': 0.001}, 5, 'search', 0, 3, 3)
        """
        folder = os.path.abspath(folder)
        os.makedirs(folder, exist_ok=True)
        info = {
            "protocol": PROTOCOL, "campaign": "local", "trial": 0, "stage": stage, "params": params or {},
            "seed": seed, "fromEpoch": from_epoch, "toEpoch": to_epoch,
            "totalEpochs": to_epoch if total_epochs is None else total_epochs,
            "checkpointDir": os.path.join(folder, "checkpoints"), "artifactsDir": os.path.join(folder, "artifacts"),
            "resultsFile": os.path.join(folder, "results.jsonl"), "dataset": dataset,
        }
        path = os.path.join(folder, "trial.json")
        with open(path, "w", encoding="utf-8") as f:
            json.dump(info, f, indent=2)
        options.setdefault("watch_parent", False)
        return cls(path, **options)

    def results(self):
        """The lines in the results file so far, as dicts (what the worker will read).

        >>> import tempfile
        >>> trial = Trial.local(tempfile.mkdtemp(), to_epoch=1)
        >>> trial.report(1, loss=0.5)
        >>> trial.results()
        [{'epoch': 1, 'metrics': {'loss': 0.5}}]
        """
        try:
            with open(self.results_file, "r", encoding="utf-8") as f:
                return [json.loads(line) for line in f if line.strip()]
        except FileNotFoundError:
            return []

    # -- the trial file ---------------------------------------------------------------------------

    def _read(self, path):
        where = "trial file %s" % path
        try:
            with open(path, "r", encoding="utf-8") as f:
                text = f.read()
        except OSError as err:
            raise TrialError("cannot read %s ($TUNEFLOW_TRIAL_FILE): %s" % (path, err.strerror or err)) from None
        try:
            info = json.loads(text)
        except ValueError as err:
            line, col = getattr(err, "lineno", "?"), getattr(err, "colno", "?")
            raise TrialError("%s:%s:%s: not JSON: %s" % (path, line, col, getattr(err, "msg", err))) from None
        if not isinstance(info, dict):
            raise TrialError("%s: should hold a JSON object" % where)
        protocol = info.get("protocol")
        if protocol != PROTOCOL:
            raise TrialError("%s: protocol %r, but this tuneflow_trial.py speaks protocol %d: use the helper "
                             "that ships with your tuneflow" % (where, protocol, PROTOCOL))
        self.campaign = _require(info, "campaign", str, where)
        self.number = _require(info, "trial", int, where)
        self.stage = _require(info, "stage", str, where)
        if self.stage not in STAGES:
            raise TrialError("%s: field 'stage' should be one of %s, got %r" % (where, ", ".join(STAGES), self.stage))
        self.params = _require(info, "params", dict, where)
        self.seed = _require(info, "seed", int, where)
        self.from_epoch = _require(info, "fromEpoch", int, where)
        self.to_epoch = _require(info, "toEpoch", int, where)
        self.total_epochs = _require(info, "totalEpochs", int, where)
        if not 0 <= self.from_epoch <= self.to_epoch <= self.total_epochs:
            raise TrialError("%s: needs 0 <= fromEpoch (%d) <= toEpoch (%d) <= totalEpochs (%d)"
                             % (where, self.from_epoch, self.to_epoch, self.total_epochs))
        self.checkpoint_dir = _require(info, "checkpointDir", str, where)
        self.artifacts_dir = _require(info, "artifactsDir", str, where)
        self.results_file = _require(info, "resultsFile", str, where)
        self.dataset = info.get("dataset")
        if self.dataset is not None and not isinstance(self.dataset, dict):
            raise TrialError("%s: field 'dataset' should be an object or null, got %r" % (where, self.dataset))
        return info

    # -- stopping -----------------------------------------------------------------------------------

    @property
    def should_stop(self):
        """True once SIGTERM arrived. Useful with ``on_sigterm="finish_epoch"`` inside long epochs.

        >>> import os, signal, tempfile
        >>> trial = Trial.local(tempfile.mkdtemp(), to_epoch=3, on_sigterm="finish_epoch")
        >>> trial.should_stop
        False
        >>> for epoch in trial.epochs(0):
        ...     for batch in range(100):
        ...         if trial.should_stop:
        ...             break                              # end the epoch early ...
        ...         if batch == 10:
        ...             os.kill(os.getpid(), signal.SIGTERM)  # (the worker prunes the trial)
        ... # ... and epochs() ends the program before epoch 2:
        Traceback (most recent call last):
        tuneflow_trial.TrialStopped: 143
        >>> trial.should_stop
        True
        """
        return self._stop_requested

    def _on_term(self, signum, frame):
        self._stop_requested = True
        sys.stderr.write("tuneflow_trial: SIGTERM (trial pruned or cancelled) during epoch %s: stopping\n"
                         % (self._current_epoch if self._current_epoch is not None else "-"))
        if self._on_sigterm == "finish_epoch":
            return
        if self._critical:
            self._pending_stop = True  # raised when the write in progress is complete
            return
        raise TrialStopped(self._current_epoch)

    def _atomic(self):
        """A section that SIGTERM does not interrupt (the helper's own file writes)."""
        trial = self

        class _Section:
            def __enter__(self):
                trial._critical += 1

            def __exit__(self, *exc):
                trial._critical -= 1
                if not trial._critical and trial._pending_stop and exc[0] is None:
                    trial._pending_stop = False
                    raise TrialStopped(trial._current_epoch)
                return False

        return _Section()

    # -- epochs and reports -------------------------------------------------------------------------

    def epochs(self, done=None):
        """The epochs to train now: ``done + 1 .. to_epoch``, one at a time.

        ``done`` is the epoch your state is at, usually the second value of ``load_checkpoint()``
        (the default when you called it; else ``from_epoch``). If the checkpoint is older than
        ``from_epoch`` (it was lost), the epochs in between are trained again, since the model must
        have them; reporting them again is harmless. With ``on_sigterm="finish_epoch"`` the loop
        ends before the next epoch once SIGTERM arrived, and the program exits with status 143.

        >>> import tempfile
        >>> trial = Trial.local(tempfile.mkdtemp(), from_epoch=2, to_epoch=5)
        >>> list(trial.epochs(2)), list(trial.epochs(3)), list(trial.epochs(5))
        ([3, 4, 5], [4, 5], [])
        """
        if done is None:
            done = self._loaded_epoch if self._loaded_epoch is not None else self.from_epoch
        if not isinstance(done, int) or isinstance(done, bool) or done < 0:
            raise TrialError("epochs(done): done should be an epoch number >= 0, got %r" % (done,))
        if done < self.from_epoch:
            sys.stderr.write("tuneflow_trial: state is at epoch %d but this segment starts after epoch %d: "
                             "training epochs %d..%d again\n" % (done, self.from_epoch, done + 1, self.from_epoch))
        for epoch in range(done + 1, self.to_epoch + 1):
            if self._stop_requested:
                raise TrialStopped(self._current_epoch)
            self._current_epoch = epoch
            yield epoch

    def is_final_epoch(self, epoch):
        """True for the trial's last epoch (``total_epochs``): where a retrain writes its model.

        >>> import os, tempfile
        >>> trial = Trial.local(tempfile.mkdtemp(), stage="retrain", to_epoch=4)
        >>> for epoch in trial.epochs(0):
        ...     if trial.stage == "retrain" and trial.is_final_epoch(epoch):
        ...         with open(os.path.join(trial.artifacts_dir, "model.txt"), "w") as f:
        ...             _ = f.write("epoch %d" % epoch)
        >>> os.listdir(trial.artifacts_dir)
        ['model.txt']
        """
        return epoch == self.total_epochs

    def report(self, epoch, metrics=None, **more):
        """Appends one results line for a finished epoch: ``{"epoch": N, "metrics": {...}}``.

        Metrics are keyword arguments, or a dict for names that are not Python identifiers (both
        may be given). Values must be numbers (numpy scalars and one-element tensors are converted);
        NaN and infinities are written as ``NaN``/``Infinity`` and the worker fails the trial as
        diverged. Call it before ``save_checkpoint`` for the same epoch: a checkpoint then always
        has its report, and a kill between the two only retrains (and re-reports) that epoch.

        >>> import tempfile
        >>> trial = Trial.local(tempfile.mkdtemp(), to_epoch=3)
        >>> trial.report(3, val_accuracy=0.93, loss=0.21)
        >>> trial.report(3, {"val/auc": 0.97}, loss=float("nan"))
        >>> print(open(trial.results_file).read(), end="")
        {"epoch":3,"metrics":{"val_accuracy":0.93,"loss":0.21}}
        {"epoch":3,"metrics":{"val/auc":0.97,"loss":NaN}}
        >>> trial.report(3, loss="low")
        Traceback (most recent call last):
        tuneflow_trial.TrialError: tuneflow_trial: metric 'loss' should be a number, got 'low'
        """
        if self.stage == "evaluate":
            raise TrialError("report(epoch, ...) is for stages search and retrain; in stage evaluate use report_final(...)")
        if not isinstance(epoch, int) or isinstance(epoch, bool) or not 1 <= epoch <= self.to_epoch:
            raise TrialError("report: epoch should be an integer in 1..%d (toEpoch), got %r" % (self.to_epoch, epoch))
        self._append({"epoch": epoch, "metrics": _metrics(metrics, more)})

    def report_final(self, metrics=None, **more):
        """Stage ``evaluate`` only: appends the one line of test metrics, ``{"metrics": {...}}``.

        >>> import tempfile
        >>> trial = Trial.local(tempfile.mkdtemp(), stage="evaluate", from_epoch=4, to_epoch=4)
        >>> if trial.stage == "evaluate":
        ...     trial.report_final(test_accuracy=0.95, test_loss=0.12)
        >>> trial.results()
        [{'metrics': {'test_accuracy': 0.95, 'test_loss': 0.12}}]
        """
        if self.stage != "evaluate":
            raise TrialError("report_final(...) is for stage evaluate; this is stage %s: use report(epoch, ...)" % self.stage)
        self._append({"metrics": _metrics(metrics, more)})

    def _append(self, record):
        # One write() of the whole line on an O_APPEND descriptor: the worker never sees half a line.
        line = (json.dumps(record, allow_nan=True, separators=(",", ":")) + "\n").encode("utf-8")
        with self._atomic():
            fd = os.open(self.results_file, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                os.write(fd, line)
            finally:
                os.close(fd)

    # -- checkpoints --------------------------------------------------------------------------------

    def checkpoints(self):
        """``[(epoch, path), ...]`` of the checkpoints in ``checkpoint_dir``, newest last.

        >>> import os, tempfile
        >>> trial = Trial.local(tempfile.mkdtemp(), to_epoch=2)
        >>> trial.save_checkpoint(1, "a"); trial.save_checkpoint(2, "b")
        >>> [(epoch, os.path.basename(path)) for epoch, path in trial.checkpoints()]  # newest only
        [(2, 'checkpoint-000002.pkl')]
        """
        found = []
        for name in os.listdir(self.checkpoint_dir):
            match = _CHECKPOINT.match(name)
            if match:
                found.append((int(match.group(1)), os.path.join(self.checkpoint_dir, name)))
        return sorted(found)

    def latest_checkpoint(self):
        """``(path, epoch)`` of the newest checkpoint file, or ``(None, 0)``: for your own formats.

        >>> import os, tempfile
        >>> trial = Trial.local(tempfile.mkdtemp(), to_epoch=2)
        >>> trial.latest_checkpoint()
        (None, 0)
        >>> with trial.checkpoint_file(2, ".txt") as tmp:
        ...     _ = open(tmp, "w").write("weights")
        >>> path, done = trial.latest_checkpoint()
        >>> os.path.basename(path), done, open(path).read()
        ('checkpoint-000002.txt', 2, 'weights')
        """
        found = self.checkpoints()
        if not found:
            self._loaded_epoch = 0
            return None, 0
        epoch, path = found[-1]
        self._loaded_epoch = epoch
        return path, epoch

    def load_checkpoint(self):
        """``(state, epoch)`` from the newest pickled checkpoint, or ``(None, 0)`` when there is none.

        A checkpoint exists after a retry (a killed worker, a retried segment) and for every segment
        after the first: resume from it and train only ``trial.epochs(epoch)``.

        >>> import tempfile
        >>> folder = tempfile.mkdtemp()
        >>> first = Trial.local(folder, to_epoch=2)             # segment 1: epochs 1-2
        >>> first.load_checkpoint()
        (None, 0)
        >>> first.save_checkpoint(2, {"weights": [0.5, 1.5]})
        >>> second = Trial.local(folder, from_epoch=2, to_epoch=4)  # segment 2: same trial
        >>> state, done = second.load_checkpoint()
        >>> state, done, list(second.epochs(done))
        ({'weights': [0.5, 1.5]}, 2, [3, 4])
        """
        path, epoch = self.latest_checkpoint()
        if path is None:
            return None, 0
        try:
            with open(path, "rb") as f:
                return pickle.load(f), epoch
        except Exception as err:  # an unpicklable checkpoint is almost always changed code, not a bad file
            raise TrialError("cannot load checkpoint %s: %s: %s" % (path, type(err).__name__, err)) from None

    def save_checkpoint(self, epoch, state):
        """Pickles ``state`` as the checkpoint of ``epoch``; older checkpoints are removed.

        Atomic (a temporary file, fsync, then rename), so a kill leaves either the old or the new
        checkpoint, never half of one. Call it after ``report`` for the same epoch.

        >>> import tempfile
        >>> trial = Trial.local(tempfile.mkdtemp(), to_epoch=1)
        >>> trial.save_checkpoint(1, {"model": [1, 2, 3], "best": 0.9})
        >>> trial.load_checkpoint()
        ({'model': [1, 2, 3], 'best': 0.9}, 1)
        """
        with self.checkpoint_file(epoch, ".pkl") as tmp:
            with open(tmp, "wb") as f:
                pickle.dump(state, f, protocol=pickle.HIGHEST_PROTOCOL)

    def checkpoint_file(self, epoch, suffix=""):
        """A ``with`` block giving a temporary path to write the checkpoint of ``epoch`` to, your way.

        On a clean exit from the block the file is fsynced and renamed to
        ``checkpoint_dir/checkpoint-<epoch><suffix>`` and older checkpoints are removed; on an
        exception it is deleted. SIGTERM waits until the block is done.

        >>> import json, tempfile
        >>> trial = Trial.local(tempfile.mkdtemp(), to_epoch=1)
        >>> with trial.checkpoint_file(1, ".json") as tmp:     # e.g. torch.save(model.state_dict(), tmp)
        ...     with open(tmp, "w") as f:
        ...         json.dump({"w": 1.0}, f)
        >>> trial.latest_checkpoint()[1]
        1
        """
        if not isinstance(epoch, int) or isinstance(epoch, bool) or epoch < 0:
            raise TrialError("checkpoint: epoch should be an integer >= 0, got %r" % (epoch,))
        if "/" in suffix or os.sep in suffix:
            raise TrialError("checkpoint: suffix should not contain a path separator, got %r" % (suffix,))
        return _CheckpointWriter(self, epoch, suffix)


class _CheckpointWriter:
    def __init__(self, trial, epoch, suffix):
        self.trial = trial
        self.final = os.path.join(trial.checkpoint_dir, "checkpoint-%06d%s" % (epoch, suffix))
        self.tmp = os.path.join(trial.checkpoint_dir, ".tmp-%d-checkpoint-%06d%s" % (os.getpid(), epoch, suffix))
        self.epoch = epoch
        self.section = trial._atomic()

    def __enter__(self):
        self.section.__enter__()
        _remove_stale_temporaries(self.trial.checkpoint_dir)
        return self.tmp

    def __exit__(self, exc_type, exc, tb):
        try:
            if exc_type is None:
                if not os.path.exists(self.tmp):
                    raise TrialError("checkpoint: nothing was written to %s inside the with block" % self.tmp)
                _fsync_file(self.tmp)
                os.replace(self.tmp, self.final)
                _fsync_dir(self.trial.checkpoint_dir)
                for epoch, path in self.trial.checkpoints():
                    if path != self.final and epoch <= self.epoch:
                        os.remove(path)
            elif os.path.exists(self.tmp):
                os.remove(self.tmp)
        finally:
            self.section.__exit__(exc_type, exc, tb)
        return False


def _fsync_file(path):
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(path):
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some file systems cannot fsync a folder
    finally:
        os.close(fd)


def _remove_stale_temporaries(folder):
    """Removes temporary files of killed earlier runs (their process is gone)."""
    for name in os.listdir(folder):
        match = re.match(r"^\.tmp-(\d+)-", name)
        if match and int(match.group(1)) != os.getpid() and not _pid_alive(int(match.group(1))):
            try:
                os.remove(os.path.join(folder, name))
            except OSError:
                pass


def _line_buffered():
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            try:
                reconfigure(line_buffering=True)
            except (ValueError, OSError):
                pass


def _watch_parent(parent):
    """Exits when the process that started us dies, so no orphan trains on after a killed worker."""
    if parent <= 1:
        return  # already adopted by init (or a container's PID 1): nothing to watch

    def watch():
        while True:
            time.sleep(_PARENT_POLL_SECONDS)
            if os.getppid() != parent:
                sys.stderr.write("tuneflow_trial: the worker process (pid %d) is gone: exiting\n" % parent)
                sys.stderr.flush()
                # A process-group leader (how the worker starts us) takes its children along.
                if os.getpgrp() == os.getpid():
                    os.killpg(os.getpid(), signal.SIGKILL)
                os._exit(70)

    threading.Thread(target=watch, name="tuneflow-parent-watch", daemon=True).start()


if __name__ == "__main__":
    # `python tuneflow_trial.py` prints what the worker passed: a quick check of a trainable's setup.
    t = Trial(watch_parent=False)
    print(json.dumps(t.info, indent=2, sort_keys=True))
