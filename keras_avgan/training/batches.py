"""What a training batch holds and how the networks are called with it.

A GAN trains on batches of its generator's outputs (real examples) and of the conditions
the generator takes. This module is the one place that knows how those are laid out: in a
batch (a dict by name, a tuple in order, or a bare tensor when there is only one output),
as generator inputs (`z`, then the conditions in order) and as critic inputs (the example,
then the conditions the critic sees). A batch element the GAN cannot use is an error.
"""

from dataclasses import dataclass

import keras


@dataclass(frozen=True)
class BatchLayout:
    outputs: tuple[str, ...]  # what the generator makes, e.g. ("audio",) or ("image", "audio")
    conditions: tuple[str, ...] = ()  # what the generator takes besides z
    critic_conditions: tuple[str, ...] = ()  # which of them the critic also takes
    # Batch elements only loss terms read (AVGAN's "mismatched_image"); they travel with the
    # conditions but reach neither network.
    passed: tuple[str, ...] = ()

    def __post_init__(self):
        if not self.outputs:
            raise ValueError("a GAN needs at least one output")
        unknown = set(self.critic_conditions) - set(self.conditions)
        if unknown:
            raise ValueError(f"the critic's conditions {sorted(unknown)} are not conditions of "
                             f"the generator ({list(self.conditions)})")

    @property
    def keys(self) -> tuple[str, ...]:
        return self.outputs + self.conditions + self.passed

    def split(self, data):
        """(real, conditions): real is a tensor (one output) or a dict; conditions a dict."""
        if isinstance(data, dict):
            missing = [k for k in self.keys if k not in data]
            extra = sorted(k for k in data if k not in self.keys)
            if extra:
                raise ValueError(f"the batch holds {extra}, which this GAN cannot use: it trains "
                                 f"on {list(self.outputs)}" + self._conditioned())
            if missing:
                what = "condition" if missing[0] in self.conditions else "output"
                raise ValueError(f"the batch lacks the {what} {missing[0]!r} (labels or inputs "
                                 f"the generator needs); it holds {sorted(data)}")
            values = [data[k] for k in self.keys]
        elif isinstance(data, (tuple, list)):
            if len(data) != len(self.keys):
                raise ValueError(f"a batch tuple must hold {list(self.keys)} in this order; got "
                                 f"{len(data)} elements" + self._hint())
            values = list(data)
        elif len(self.keys) == 1:
            values = [data]
        else:
            raise ValueError(f"a batch must hold {list(self.keys)}; got one tensor"
                             + self._hint())
        real = dict(zip(self.outputs, values[:len(self.outputs)], strict=True))
        conditions = dict(zip(self.conditions + self.passed, values[len(self.outputs):],
                              strict=True))
        return (real[self.outputs[0]] if len(self.outputs) == 1 else real), conditions

    def _conditioned(self) -> str:
        return f", conditioned on {list(self.conditions)}" if self.conditions else \
            " and no conditions (labels)"

    def _hint(self) -> str:
        return " (the examples, then their labels)" if self.conditions else ""

    def named_conditions(self, conditions) -> dict:
        """A dict by name from a dict or, for a generator with one condition, its values."""
        if not self.conditions:
            if conditions is not None and len(conditions):
                raise ValueError("this generator takes no conditions")
            return {}
        if not isinstance(conditions, dict):
            if len(self.conditions) != 1:
                raise ValueError(f"pass the conditions {list(self.conditions)} as a dict")
            conditions = {self.conditions[0]: conditions}
        return {k: keras.ops.convert_to_tensor(conditions[k]) for k in self.conditions}

    def generator_call(self, generator, z, conditions: dict, training: bool):
        inputs = [z, *(conditions[k] for k in self.conditions)] if self.conditions else z
        made = generator(inputs, training=training)
        if len(self.outputs) > 1 and not isinstance(made, dict):
            raise ValueError(f"a generator with outputs {list(self.outputs)} must return a dict")
        return made

    def critic_call(self, critic, x, conditions: dict, training: bool) -> dict:
        """The critic's outputs as a dict with "logit" (and "classes" for a class head)."""
        inputs = [x, *(conditions[k] for k in self.critic_conditions)] \
            if self.critic_conditions else x
        out = critic(inputs, training=training)
        return out if isinstance(out, dict) else {"logit": out}
