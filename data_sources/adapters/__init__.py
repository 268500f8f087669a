"""The built-in adapters, one module each, loaded through the registry's entry points exactly as a
third party's are (data_sources.registry.BUILTIN); importing this package imports none of them.

The few helpers the file adapters share live here, so a file that is gone, a folder, a file the
service may not read or text in another encoding means the same exception from every adapter."""

from __future__ import annotations

import os
from pathlib import Path

from data_sources.errors import SourceMisconfigured, SourceUnavailable


def resolve_path(path: str, base_dir: str) -> Path:
    """`path` as given when absolute, else relative to `base_dir` (the configuration's root)."""
    target = Path(path).expanduser()
    return target if target.is_absolute() else Path(base_dir) / target


def read_bytes(path: Path, where: str, *, max_bytes: int | None = None) -> bytes:
    """The whole file at `path`; blocks on the file system. `where` starts every message (the
    source, e.g. "source 'x' (csv)"); a source with a size cap calls its option `max_bytes`.

    Raises SourceUnavailable when the file is not there or cannot be read now (a share or an
    export that may come back), SourceMisconfigured when `path` is a folder, the service may not
    read it, or it is larger than `max_bytes` — none of which a retry fixes."""
    try:
        with path.open("rb") as file:
            if max_bytes is None:
                return file.read()
            size = os.fstat(file.fileno()).st_size
            # read one byte past the cap: the file may have grown since it was measured
            data = file.read(max_bytes + 1) if size <= max_bytes else b""
    except FileNotFoundError:
        raise SourceUnavailable(f"{where}: {path}: no such file") from None
    except IsADirectoryError:
        raise SourceMisconfigured(f"{where}: path: {path} is a folder, not a file") from None
    except PermissionError:
        raise SourceMisconfigured(
            f"{where}: path: {path}: permission denied (the service's user may not read it)"
        ) from None
    except OSError as exc:
        raise SourceUnavailable(f"{where}: {path}: {exc.strerror or exc}") from exc
    if size > max_bytes or len(data) > max_bytes:
        measured = f": it is {size} bytes" if size > max_bytes else ": it grew past it while read"
        raise SourceMisconfigured(f"{where}: {path} is larger than max_bytes ({max_bytes} bytes){measured}")
    return data


def decode(data: bytes, encoding: str, where: str, *, hint: str = "") -> str:
    """`data` as text in `encoding`; raises SourceMisconfigured naming the first bad byte (a file
    exported in another encoding stays so until someone changes the export or the option)."""
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise SourceMisconfigured(
            f"{where}: not {encoding} text (byte {exc.start})" + (f"; {hint}" if hint else "")
        ) from None
