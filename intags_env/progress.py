"""Progress bars: one library (tqdm) for all long work, readable in a terminal and in a log file.

Every bar of intags-env is a :class:`tqdm` from here, and Stable-Baselines3 training reports through
:func:`sb3_progress` instead of SB3's ``progress_bar=True``, which draws a rich bar on stdout: a second
style, interleaved with the tables the commands print. When a bar's stream is not a terminal (output
redirected to a log file), a bar redraws at most every ``LOG_INTERVAL_S`` seconds instead of ten times
a second (each redraw is a carriage-return line in the log), and a bar opened while another is open is
not drawn: tqdm stacks nested bars with ANSI cursor-up codes, which a log file keeps as garbage.
Notebook bars (widgets) are left as they are.
"""

from __future__ import annotations

import sys
from typing import IO, Any

from tqdm.auto import tqdm as _auto_tqdm
from tqdm.autonotebook import tqdm as _chosen_tqdm
from tqdm.std import tqdm as _std_tqdm

__all__ = ["LOG_INTERVAL_S", "is_terminal", "sb3_progress", "tqdm"]

#: Least seconds between two redraws of a bar written to a log file rather than a terminal.
LOG_INTERVAL_S = 30.0

_IN_NOTEBOOK = _chosen_tqdm is not _std_tqdm


def is_terminal(stream: IO[str] | None) -> bool:
    """Whether ``stream`` is an interactive terminal (False for files, pipes, captured or closed streams)."""
    try:
        return bool(stream is not None and stream.isatty())
    except (AttributeError, ValueError):  # no isatty, or a closed stream
        return False


class tqdm(_auto_tqdm):
    """``tqdm.auto.tqdm``, made log-friendly when its stream is not a terminal (see the module doc)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if not _IN_NOTEBOOK and not is_terminal(kwargs.get("file") or sys.stderr):
            kwargs["mininterval"] = max(kwargs.get("mininterval", 0.1), LOG_INTERVAL_S)
            if any(bar is not self for bar in list(self._instances)):  # nested in an open bar
                kwargs["disable"] = True
        super().__init__(*args, **kwargs)


def sb3_progress(progress: bool, desc: str = "training") -> list[Any]:
    """The callbacks to pass to a Stable-Baselines3 ``learn`` for a progress bar over its timesteps:
    ``[]`` without ``progress``, else one :class:`tqdm` bar (not SB3's rich one). Needs SB3 (the
    ``train`` extra), imported only here so that this module stays light."""
    if not progress:
        return []
    from stable_baselines3.common.callbacks import BaseCallback

    class _TqdmCallback(BaseCallback):
        """A bar over the timesteps of this ``learn`` call (a resumed run counts only the rest)."""

        bar: tqdm

        def _on_training_start(self) -> None:
            left = self.locals["total_timesteps"] - self.model.num_timesteps
            self.bar = tqdm(total=left, desc=desc, unit="step")

        def _on_step(self) -> bool:
            self.bar.update(self.training_env.num_envs)
            return True

        def _on_training_end(self) -> None:
            self.bar.close()

    return [_TqdmCallback()]
