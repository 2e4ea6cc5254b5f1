"""Text files as Accord reads them: UTF-8, a byte-order mark skipped, gzip when named ``.gz``.

Spreadsheet programs often start a CSV with a byte-order mark, which would otherwise become part
of the first column's name. A file that is not UTF-8 is refused with one line naming the file,
the line and the byte offset of the first byte that is not UTF-8, never read with guessed text.
"""

from __future__ import annotations

import gzip
import io
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from accord.core.errors import SpecError

_BOM = b"\xef\xbb\xbf"


class EncodingError(SpecError):
    """A file whose bytes are not UTF-8 text, with where the first offending byte is."""

    def __init__(self, file: str, offset: int, line: int, column: int, byte: int) -> None:
        self.file, self.offset, self.line, self.column = file, offset, line, column
        self.byte = byte
        hint = " (it looks like UTF-16)" if offset == 0 and byte in (0xFE, 0xFF) else ""
        super().__init__(
            "",
            f"not UTF-8 text{hint}: byte 0x{byte:02X} at byte offset {offset}; "
            "save the file as UTF-8",
            f"{file}:{line}:{column}",
        )

    def in_source(self, source: str) -> SpecError:
        return EncodingError(source, self.offset, self.line, self.column, self.byte)


def _open_binary(file: Path) -> BinaryIO:
    if file.suffix == ".gz":
        return gzip.open(file, "rb")  # type: ignore[return-value]
    return file.open("rb")


def _unreadable(file: Path, error: OSError | EOFError) -> SpecError:
    if isinstance(error, EOFError):
        reason = "the gzip file is cut short (it ends before its end-of-stream marker)"
    elif isinstance(error, gzip.BadGzipFile):
        reason = f"not a gzip file, though its name ends in .gz ({error})"
    else:
        reason = error.strerror or str(error)
    return SpecError("", f"cannot read: {reason}", str(file))


def decode(data: bytes, source: str) -> str:
    """Bytes as UTF-8 text without a leading byte-order mark; EncodingError if they are not."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise _located(data, error.start, source) from None


def _located(data: bytes, offset: int, source: str, base: int = 0, line: int = 1) -> EncodingError:
    """The error for the byte at ``offset`` of ``data``, which starts at byte ``base`` of the
    file, on ``line``."""
    start = data.rfind(b"\n", 0, offset) + 1
    line += data.count(b"\n", 0, offset)
    prefix = data[start:offset]
    if start == 0 and base == 0:
        prefix = prefix.removeprefix(_BOM)
    column = len(prefix.decode("utf-8", errors="replace")) + 1
    return EncodingError(source, base + offset, line, column, data[offset])


def read_text(path: str | Path, most: int | None = None) -> str:
    """A whole text file (decompressed when it ends in .gz); with ``most``, a file of more
    bytes than that (once decompressed) is refused after reading only that many."""
    file = Path(path)
    try:
        with _open_binary(file) as handle:
            data = handle.read() if most is None else handle.read(most + 1)
    except (OSError, EOFError) as error:
        raise _unreadable(file, error) from None
    if most is not None and len(data) > most:
        refusal = f"refused: larger than {most:,} bytes, the most Accord reads"
        raise SpecError("", refusal, str(file))
    return decode(data, str(file))


def text_lines(path: str | Path) -> Iterator[str]:
    """The lines of a text file, line endings kept (as ``open(newline="")`` gives them, for the
    csv module), decompressed when it ends in .gz."""
    file = Path(path)
    try:
        with (
            _open_binary(file) as binary,
            io.TextIOWrapper(binary, encoding="utf-8-sig", newline="") as handle,
        ):
            yield from handle
    except UnicodeDecodeError:
        raise _first_undecodable(file) from None
    except (OSError, EOFError) as error:
        raise _unreadable(file, error) from None


def _first_undecodable(file: Path) -> EncodingError:
    """Where a file stops being UTF-8, found by reading it again line by line (only once it
    has failed, so that reading good files costs nothing more). A line break never falls inside
    a UTF-8 character, so each line decodes on its own."""
    offset = 0
    with _open_binary(file) as handle:
        for number, raw in enumerate(handle, 1):
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError as error:
                return _located(raw, error.start, str(file), offset, number)
            offset += len(raw)
    raise AssertionError(f"{file}: a decoding error that reading again did not find")
