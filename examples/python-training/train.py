"""A training loop in Python (standard library only) that keeps its state in
the directory jobkit gives it, $JOBKIT_CHECKPOINT_DIR, and resumes from it.

Run under `jobkit exec --checkpoint-dir DIR --checkpoint-every S -- python3
train.py`: jobkit restores DIR from the job's latest checkpoint before this
program starts, saves it to the store while it runs (every S seconds, and when
this program asks by creating $JOBKIT_CHECKPOINT_REQUEST) and once more after
it exits on SIGTERM. This program only writes files.

The model: linear regression by minibatch SGD on synthetic data. Every step's
batch is derived from (seed, step) alone, never from a running random
stream, and the weights are saved as exact IEEE-754 doubles, so a run that is
stopped and resumed at step N computes bit for bit what a clean run does: the
final weights' sha256 of a run with preemptions equals a clean run's.

State in DIR (each file written to a temporary name, fsynced, renamed):
  weights-<step>.bin   the weights after <step> steps, little-endian doubles
  progress.json        {"step", "loss", "weights", "weights_sha256"}: the
                       commit point; written after its weights file, and
                       older weights files are removed after it
"""

import hashlib
import json
import os
import random
import signal
import struct
import sys
import time


def env_int(name, default):
    value = os.environ.get(name, "")
    return int(value) if value != "" else default


INDEX = env_int("JOBKIT_INDEX", 0)
STEPS = env_int("TRAIN_STEPS", 200)
DIM = env_int("TRAIN_DIM", 512)
BATCH = env_int("TRAIN_BATCH", 16)
SAVE_EVERY = env_int("TRAIN_SAVE_EVERY", 10)
STEP_DELAY_MS = env_int("TRAIN_STEP_DELAY_MS", 0)
SEED = env_int("TRAIN_SEED", 7)
# A small learning-rate sweep: one rate per index.
LEARNING_RATE = 0.02 * (1 + INDEX)

STATE_DIR = os.environ.get("JOBKIT_CHECKPOINT_DIR", "")
REQUEST_FILE = os.environ.get("JOBKIT_CHECKPOINT_REQUEST", "")

stopping = False


def on_sigterm(signum, frame):
    global stopping
    stopping = True


def log(msg, **fields):
    """One JSON line on stdout: jobkit exec keeps the fields and adds the identity."""
    print(json.dumps({"msg": msg, **fields}), flush=True)


def pack(weights):
    return struct.pack("<%dd" % len(weights), *weights)


def unpack(data):
    return list(struct.unpack("<%dd" % (len(data) // 8), data))


def write_atomic(path, data):
    tmp = "%s.tmp-%d" % (path, os.getpid())
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.rename(tmp, path)


def save_state(step, weights, loss):
    """weights-<step>.bin, then progress.json (the commit point), then drop older weights."""
    data = pack(weights)
    name = "weights-%d.bin" % step
    write_atomic(os.path.join(STATE_DIR, name), data)
    progress = {"step": step, "loss": loss, "weights": name, "weights_sha256": hashlib.sha256(data).hexdigest()}
    write_atomic(os.path.join(STATE_DIR, "progress.json"), json.dumps(progress, sort_keys=True).encode())
    for other in os.listdir(STATE_DIR):
        if other != name and (other.startswith("weights-") or ".tmp-" in other):
            os.remove(os.path.join(STATE_DIR, other))
    log("state saved at step %d" % step, step=step)


def request_checkpoint():
    """Ask jobkit to save DIR to the store now (it removes the file once saved)."""
    if REQUEST_FILE != "":
        with open(REQUEST_FILE, "a"):
            pass


def load_state():
    """(step, weights, loss) from DIR, or None when there is nothing (a first attempt)."""
    try:
        with open(os.path.join(STATE_DIR, "progress.json"), "rb") as f:
            progress = json.loads(f.read())
        with open(os.path.join(STATE_DIR, progress["weights"]), "rb") as f:
            data = f.read()
    except FileNotFoundError:
        return None
    if hashlib.sha256(data).hexdigest() != progress["weights_sha256"]:
        raise SystemExit("progress.json does not match %s: the state directory is corrupt" % progress["weights"])
    return progress["step"], unpack(data), progress["loss"]


def true_weights():
    rng = random.Random(SEED)
    return [rng.uniform(-1.0, 1.0) for _ in range(DIM)]


def train_step(step, weights, target):
    """One deterministic SGD step on the batch of (seed, step); returns the batch loss."""
    rng = random.Random(SEED * 1_000_003 + step)
    grad = [0.0] * DIM
    loss = 0.0
    for _ in range(BATCH):
        x = [rng.gauss(0.0, 1.0) for _ in range(DIM)]
        y = sum(t * xi for t, xi in zip(target, x)) + rng.gauss(0.0, 0.01)
        err = sum(w * xi for w, xi in zip(weights, x)) - y
        loss += err * err
        for i in range(DIM):
            grad[i] += err * x[i]
    scale = LEARNING_RATE / BATCH
    for i in range(DIM):
        weights[i] -= scale * grad[i]
    return loss / BATCH


def main():
    if STATE_DIR == "":
        raise SystemExit("JOBKIT_CHECKPOINT_DIR is not set: run under jobkit exec --checkpoint-dir DIR")
    signal.signal(signal.SIGTERM, on_sigterm)
    os.makedirs(STATE_DIR, exist_ok=True)
    target = true_weights()
    state = load_state()
    if state is None:
        step, weights, loss = 0, [0.0] * DIM, None
        log("starting at step 0", steps=STEPS, lr=LEARNING_RATE)
    else:
        step, weights, loss = state
        # On stderr, like the other examples' progress lines: "resumed at step N".
        print("resumed at step %d" % step, file=sys.stderr, flush=True)

    while step < STEPS:
        if stopping:
            save_state(step, weights, loss)
            log("stopping at step %d (SIGTERM)" % step, step=step)
            sys.exit(143)
        loss = train_step(step, weights, target)
        step += 1
        if STEP_DELAY_MS > 0:
            time.sleep(STEP_DELAY_MS / 1000)
        if step % SAVE_EVERY == 0 and step < STEPS:
            save_state(step, weights, loss)
            request_checkpoint()

    save_state(step, weights, loss)
    data = pack(weights)
    log("training done", step=step, loss=loss, weights_sha256=hashlib.sha256(data).hexdigest())


if __name__ == "__main__":
    main()
