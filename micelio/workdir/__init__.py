"""A working directory of mic: its ``.mic/`` state, ``.micignore``, scanning and writing files.

``state``     ``.mic/state.json`` and ``.mic/manifest.json``
``ignore``    ``.micignore``
``files``     a file's mode and hash; writing and removing files safely under the root
``scan``      pending changes against the base tree (no server involved)
``merge``     three-way line merge, as ``git merge-file`` (pure)
``conflicts`` what a merge does with each path and a whole tree (pure)
``syncstate`` ``.mic/sync/``: a sync's journal, progress and conflicts (``conflicted``)
``sync``      ``mic sync``: merge onto another position, through the journal (needs a client)
``workflow``  checkout, start, land and sync through a ``MicClient`` (imported on its own:
              the rest of the package needs no client)
"""

from micelio.workdir.errors import WorkdirError
from micelio.workdir.files import (
    file_mode,
    hash_file,
    local_path,
    open_root,
    parent_dirs,
    remove_file,
    write_file,
)
from micelio.workdir.ignore import IGNORE_FILE, Ignore
from micelio.workdir.scan import FileChange, LocalFile, ScanResult, TreeFile, scan
from micelio.workdir.state import (
    MIC_DIR,
    FileRecord,
    Manifest,
    State,
    find_root,
    load_manifest,
    load_state,
    save_manifest,
    save_state,
)

__all__ = [
    "IGNORE_FILE",
    "MIC_DIR",
    "FileChange",
    "FileRecord",
    "Ignore",
    "LocalFile",
    "Manifest",
    "ScanResult",
    "State",
    "TreeFile",
    "WorkdirError",
    "file_mode",
    "find_root",
    "hash_file",
    "load_manifest",
    "load_state",
    "local_path",
    "open_root",
    "parent_dirs",
    "remove_file",
    "save_manifest",
    "save_state",
    "scan",
    "write_file",
]
