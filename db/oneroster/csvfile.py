"""Reading and writing the CSV files: RFC 4180 quoting, formula neutralising, stable ids."""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

from db.formula_injection import neutralise

# Ids of rows that have no table of their own (line items, class-teacher enrollments, …):
# uuid5 of this namespace and the database ids they are made of, so every export repeats them.
NAMESPACE = uuid.UUID("6f1c3a52-8a7e-4c1e-9a53-2f0d6c4b9e10")

def derived_id(*parts: object) -> str:
    return str(uuid.uuid5(NAMESPACE, "/".join(str(p) for p in parts)))


def iso_datetime(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + \
        f"{moment.astimezone(UTC).microsecond // 1000:03d}Z"


def cell(value: object) -> str:
    """One value as CSV text. Only free text (`str`) is neutralised: ids, dates and numbers are
    generated here and cannot start a formula."""
    if value is None:
        return ""
    if isinstance(value, str):
        return neutralise(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return iso_datetime(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        text = format(value.normalize(), "f")
        return text
    if isinstance(value, uuid.UUID | int | float):
        return str(value)
    if isinstance(value, Raw):
        return value.text
    raise TypeError(f"cannot write {type(value).__name__} to CSV")


@dataclass(frozen=True)
class Raw:
    """Text written as it is: lists of ids and other values composed here, not by users."""

    text: str


def id_list(ids: Iterable[object]) -> Raw:
    return Raw(",".join(str(i) for i in ids))


def render(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(header)
    for row in rows:
        assert len(row) == len(header), (header, row)
        writer.writerow([cell(v) for v in row])
    return out.getvalue()


@dataclass(frozen=True)
class Row:
    """One data row read back, with its 1-based line number in the file (the header is 1)."""

    line: int
    values: dict[str, str]

    def __getitem__(self, column: str) -> str:
        return self.values.get(column, "")


def parse(text: str) -> tuple[list[str], list[Row]]:
    reader = csv.reader(io.StringIO(text, newline=""))
    rows = list(reader)
    if not rows:
        return [], []
    header = rows[0]
    if header and header[0].startswith("\ufeff"):
        header[0] = header[0][1:]
    out: list[Row] = []
    for number, values in enumerate(rows[1:], start=2):
        if not any(v.strip() for v in values):
            continue
        out.append(Row(number, dict(zip(header, values, strict=False))))
    return header, out


def read_directory(source: Path) -> Iterator[tuple[str, str]]:
    """(file name, text) of each CSV file of a directory or a zip archive."""
    import zipfile

    if source.is_file() and zipfile.is_zipfile(source):
        with zipfile.ZipFile(source) as archive:
            for name in archive.namelist():
                if name.endswith(".csv") and "/" not in name:
                    yield name, archive.read(name).decode("utf-8")
        return
    for path in sorted(source.glob("*.csv")):
        yield path.name, path.read_text(encoding="utf-8")
