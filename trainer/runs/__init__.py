"""The run folder: the contract between a training process and the dashboard (README "The run folder").

What a run writes and how it is read back, with no torch at import (a tensor handed to the Recorder is
converted without importing it). The dashboard reads runs through this package alone.

    runfiles.py       the front door: column names, readers, listing and naming run folders, FORMAT_VERSION
    atomic.py         writes that a reader never sees half done (temporary name, fsync, os.replace)
    parts.py          tables as numbered Parquet parts, merged now and then; tolerant readers
    runstatus.py      status.json (the heartbeat), control.json (stop) and the writer's lock
    record.py         Recorder: the one writer, for this trainer's loop and for anyone's
    record_values.py  what Recorder.log accepts, and its buffered rows
    samples.py        image grids and 2-D point files; thinning old ones
    tensorboard.py    TensorBoard logdirs into run folders
"""

from .record import Recorder

__all__ = ["Recorder"]
