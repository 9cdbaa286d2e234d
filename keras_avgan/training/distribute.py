"""`fit --strategy`: the tf.distribute strategy a run trains under, and how steps reach it.

- default: no strategy; the step is `tf.function(gan.train_step)`, as it always was.
- mirrored: MirroredStrategy over every local GPU; without GPUs, over the logical CPU
  devices that KERAS_AVGAN_CPU_DEVICES=N splits the CPU into (for trying and testing it).
- multiworker: MultiWorkerMirroredStrategy over the cluster in TF_CONFIG; what the chief
  and the other workers write, and how they check each other, is `workers.py`.

The input is the run's own global-batch iterator, the one its checkpoint holds, on every
worker (each worker reads the whole data order, as one device would): TF's distributed
iterators cannot be checkpointed (tf.train.Checkpoint refuses them as not trackable) and
read ahead of the step, so an exact resume could not go through them. Each step's global
batch is dealt out with `experimental_distribute_values_from_function`: replica r of N gets
rows [r * B/N, (r + 1) * B/N) of every D update's chunk of B, which is what `replicas.py`
expects. Since the iterator is global, a run resumes on another worker or device count with
the same data order; only the arithmetic (all-reduce order) differs, at float rounding.

Batch norm is synchronised across replicas (Keras' `synchronized=True`): statistics of the
global batch, as on one device. Per-replica statistics would change with the replica count
what DCGAN's critic and generator normalise by, and with small per-replica batches make
them noisier; the price is one all-reduce of the moments per layer and pass.
"""

import faulthandler
import json
import os
from dataclasses import dataclass

import tensorflow as tf

from keras_avgan import quiet_logs
from keras_avgan.errors import UserError
from keras_avgan.training.gan import GAN, batch_norm_layers

STRATEGIES = ("default", "mirrored", "multiworker")
CPU_DEVICES = "KERAS_AVGAN_CPU_DEVICES"
WORKER_TIMEOUT = "KERAS_AVGAN_WORKER_TIMEOUT"  # seconds workers wait for each other to start
DEFAULT_WORKER_TIMEOUT = 600.0


@dataclass
class Placement:
    name: str
    strategy: tf.distribute.Strategy
    workers: int = 1
    task: int = 0  # this process's index among the workers, the chief's being 0
    is_chief: bool = True

    @property
    def replicas(self) -> int:
        return self.strategy.num_replicas_in_sync

    def describe(self) -> str:
        devices = self.strategy.extended.worker_devices
        where = f"{self.workers} workers, " if self.workers > 1 else ""
        return (f"--strategy {self.name}: {where}{self.replicas} replicas "
                f"({', '.join(devices)} here)")


def place(name: str) -> Placement:
    """The strategy for `--strategy name`. Call it before anything else touches TensorFlow:
    logical devices and collective ops can only be set up before TF starts its runtime."""
    if name not in STRATEGIES:
        raise UserError(f"--strategy {name}: choose one of {', '.join(STRATEGIES)}")
    _split_cpu()
    if name == "default":
        return Placement(name, tf.distribute.get_strategy())
    if name == "mirrored":
        devices = tf.config.list_logical_devices("GPU") or tf.config.list_logical_devices("CPU")
        return Placement(name, tf.distribute.MirroredStrategy([d.name for d in devices]))
    cluster, task_type, index = _cluster()
    waiting = _worker_timeout()
    with _Deadline(waiting, f"{task_type} {index}: waiting for every worker of TF_CONFIG "
                   f"({json.dumps(cluster)}) to start; if they have not within "
                   f"{WORKER_TIMEOUT}={waiting:g} seconds, this one exits 1"):
        strategy = tf.distribute.MultiWorkerMirroredStrategy()
    workers = sum(len(cluster.get(job, [])) for job in ("chief", "worker"))
    # The chief is the `chief` task, or worker 0 in a cluster without one.
    is_chief = task_type == "chief" or (task_type == "worker" and index == 0
                                        and "chief" not in cluster)
    task = index + (1 if task_type == "worker" and "chief" in cluster else 0)
    return Placement(name, strategy, workers, task, is_chief)


def _split_cpu() -> None:
    """KERAS_AVGAN_CPU_DEVICES=N: N logical CPU devices, for `mirrored` without GPUs."""
    wanted = os.environ.get(CPU_DEVICES, "").strip()
    if not wanted:
        return
    if not wanted.isdigit() or int(wanted) < 1:
        raise UserError(f"{CPU_DEVICES}={wanted}: give a number of devices, e.g. 2")
    cpu = tf.config.list_physical_devices("CPU")[0]
    configs = [tf.config.LogicalDeviceConfiguration() for _ in range(int(wanted))]
    if len(tf.config.get_logical_device_configuration(cpu) or [None]) == len(configs):
        return
    try:
        tf.config.set_logical_device_configuration(cpu, configs)
    except RuntimeError:
        raise UserError(f"{CPU_DEVICES}={wanted} came after TensorFlow had set up its "
                        "devices in this process; set it before the process starts") from None


def _worker_timeout() -> float:
    text = os.environ.get(WORKER_TIMEOUT, "").strip()
    try:
        return float(text) if text else DEFAULT_WORKER_TIMEOUT
    except ValueError:
        raise UserError(f"{WORKER_TIMEOUT}={text}: give seconds, e.g. 600 (0: no limit)") from None


class _Deadline:
    """End the process (exit 1) if the block still runs after `seconds` (0: never).

    MultiWorkerMirroredStrategy() waits for every worker of the cluster with no limit, in C++
    that holds the GIL: neither SIGINT, a Python thread nor TF's own cluster register timeout
    ended a worker left alone (tried, for minutes). faulthandler's watchdog is a C thread:
    it prints the waiting traceback under `message` and exits."""

    def __init__(self, seconds: float, message: str):
        self.seconds, self.message, self.stream = seconds, message, None

    def __enter__(self):
        if self.seconds:
            # Past the CLI's stderr filter, whose thread cannot run during the wait.
            self.stream = os.fdopen(os.dup(quiet_logs.unfiltered_stderr()), "w")
            print(self.message, file=self.stream, flush=True)
            faulthandler.dump_traceback_later(self.seconds, exit=True, file=self.stream)
        return self

    def __exit__(self, *exc) -> None:
        if self.seconds:
            faulthandler.cancel_dump_traceback_later()
            self.stream.close()


def _cluster() -> tuple[dict, str, int]:
    """(cluster, task type, task index) of TF_CONFIG, or a UserError saying what is wrong."""
    text = os.environ.get("TF_CONFIG", "")
    example = ('e.g. TF_CONFIG=\'{"cluster": {"worker": ["host1:12345", "host2:12345"]}, '
               '"task": {"type": "worker", "index": 0}}\' (docs/distributed.md)')
    if not text.strip():
        raise UserError(f"--strategy multiworker reads the cluster from TF_CONFIG, which is "
                        f"not set; {example}")
    try:
        config = json.loads(text)
        cluster, task = config["cluster"], config["task"]
        task_type, index = str(task["type"]), int(task["index"])
        addresses = cluster[task_type][index]
    except (ValueError, KeyError, TypeError, IndexError) as err:
        raise UserError(f"TF_CONFIG does not name this task in its cluster ({err!r}); "
                        f"{example}") from None
    if task_type not in ("chief", "worker") or not addresses:
        raise UserError(f"TF_CONFIG: task type {task_type!r} does not train; use 'worker' "
                        "(or 'chief' beside the workers)")
    return cluster, task_type, index


def check_options(name: str, jit: bool) -> None:
    """Refuse flags that do not go with --strategy `name`, before anything is built."""
    if jit and name != "default":
        # Tried on two logical CPUs: XLA compiled replica 1's step for CPU:0, which cannot
        # read replica 1's variables. Not tried on GPUs (none here), so refused for both.
        raise UserError(f"--jit trains on one device only for now; drop it or use --strategy "
                        f"default (not {name})")


def check_trainable(gan, recipe, placement: Placement, warn) -> None:
    """Refuse what cannot train under the strategy; warn of what trains but not as on one
    device."""
    if placement.name == "default":
        return
    if not isinstance(gan, GAN):  # the speech-to-face scheme has no replica shares
        raise UserError(f"recipe '{recipe.name}' ({recipe.train_scheme} scheme) trains on one "
                        "device only for now; use --strategy default")
    if recipe.batch_size % placement.replicas:
        raise UserError(f"batch_size {recipe.batch_size} does not split over "
                        f"{placement.replicas} replicas; use --batch-size a multiple of "
                        f"{placement.replicas}")
    if placement.replicas == 1:
        return
    coupled = [t.name for t in gan.terms if t.couples_batch]
    if coupled:
        warn(f"warning: {', '.join(coupled)} is computed on each replica's rows, not on the "
             "global batch as on one device")
    group, rows = getattr(recipe, "minibatch_stddev", 0), recipe.batch_size // placement.replicas
    if group and rows % group:
        # Groups are consecutive rows: whole groups per replica are one device's groups.
        warn(f"warning: minibatch_stddev groups of {group} do not fit {rows} rows per replica; "
             "the critic's groups are not one device's (use a batch_size that is a multiple "
             f"of {group * placement.replicas})")


def synchronize_batch_norm(placement: Placement, *networks) -> None:
    """Global-batch statistics in every batch norm layer of `networks` (see the module
    docstring). Set after building: the layers read it when they are called."""
    if placement.replicas == 1:
        return
    for network in networks:
        if network is None:
            continue
        for layer in batch_norm_layers(network):
            layer.synchronized = True


def _shares(placement: Placement, batch, d_steps: int):
    """A global batch of d_steps chunks as the replicas' shares: replica r's rows of every
    chunk, chunk after chunk."""
    total = placement.replicas

    def share(tensor, replica):
        chunks = tf.reshape(tensor, (d_steps, total, -1, *tensor.shape[1:]))
        return tf.reshape(chunks[:, replica], (-1, *tensor.shape[1:]))

    def shares(context):
        return tf.nest.map_structure(
            lambda t: share(t, context.replica_id_in_sync_group), batch)

    return placement.strategy.experimental_distribute_values_from_function(shares)


def step_function(placement: Placement, train_step, jit: bool, d_steps: int):
    """The compiled step, called with the global batch: metrics come back as the mean over
    replicas (each replica's value is its rows' mean, and every replica holds as many
    rows). The batch is split into the replicas' shares inside the traced step: split
    eagerly, every step paid a few milliseconds of Python."""
    if placement.name == "default":
        return tf.function(train_step, jit_compile=jit, reduce_retracing=True)
    strategy = placement.strategy

    def step(batch):
        results = strategy.run(train_step, args=(_shares(placement, batch, d_steps),))
        return {k: strategy.reduce(tf.distribute.ReduceOp.MEAN, v, axis=None)
                for k, v in results.items()}

    return tf.function(step, reduce_retracing=True)
