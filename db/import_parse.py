"""Reading a people import file (CSV or XLSX) into checked rows, without touching the database.

A Russian school produces CSV from Excel (Windows-1251 or UTF-8 with a BOM, `;` between
fields) or an XLSX workbook; both are read here. Row numbers are the ones the school sees in
Excel: the header is row 1.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime

from db.logins import LOGIN_PATTERN, LOGIN_RULE, normalize_login
from db.models import SchoolRole

MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_ROWS = 20_000
MAX_LINES = 2 * MAX_ROWS
NAME_MAX = 100
EXTERNAL_ID_MAX = 64
RELATION_MAX = 32
SUBGROUP_MAX = 120  # the length of a study group's name
EARLIEST_BIRTH_DATE = date(1900, 1, 1)
# The same rule as setPersonAccount's: logins are lower-case ASCII.


@dataclass(frozen=True)
class Column:
    key: str
    russian: str
    english: str
    required: bool
    help: str
    aliases: tuple[str, ...] = ()


# The template's headers are the Russian ones; the English keys are accepted as well.
COLUMNS: tuple[Column, ...] = (
    Column("external_id", "Код", "external_id", True,
           "School-local code of the person (e.g. the number in the school's register); the "
           "key by which a re-import finds the person", ("Внешний код", "Идентификатор", "ID")),
    Column("role", "Роль", "role", True,
           "ученик, учитель, администратор, родитель (or student, teacher, administrator, "
           "guardian); several separated by «,»", ("Роли",)),
    Column("last_name", "Фамилия", "last_name", True, "Family name"),
    Column("first_name", "Имя", "first_name", True, "Given name"),
    Column("middle_name", "Отчество", "middle_name", False, "Patronymic, if any"),
    Column("birth_date", "Дата рождения", "birth_date", False,
           "DD.MM.YYYY (or YYYY-MM-DD)"),
    Column("class", "Класс", "class", False,
           "For students: the class in the current academic year, e.g. 5А"),
    Column("subgroups", "Подгруппы", "subgroups", False,
           "For students of a class divided into subgroups: the student's subgroups, one per "
           "division, separated by «;», named as in the school's set-up (e.g. «5А Английский "
           "язык (гр. 1)»; the class name in front may be left out). Empty: the student joins "
           "the class and its whole-class groups only, and is placed in subgroups later with "
           "moveToSubgroup", ("Подгруппа", "subgroup")),
    Column("enrolled_on", "Дата зачисления", "enrolled_on", False,
           "For students: first day in the class (default: the first day of the year)"),
    Column("guardian_of", "Родитель для", "guardian_of", False,
           "For guardians: the codes of their children, separated by «;» or «,»",
           ("Законный представитель для", "Дети")),
    Column("relation", "Кем приходится", "relation", False,
           "For guardians: мать, отец, опекун, …", ("Степень родства",)),
    Column("login", "Логин", "login", False,
           "Optional: a new account with this login and a one-time password; a login "
           "that is taken is refused (an existing account is bound by a link code)"),
)

ROLE_WORDS: dict[str, SchoolRole] = {
    "student": SchoolRole.STUDENT, "ученик": SchoolRole.STUDENT,
    "учащийся": SchoolRole.STUDENT, "обучающийся": SchoolRole.STUDENT,
    "teacher": SchoolRole.TEACHER, "учитель": SchoolRole.TEACHER,
    "педагог": SchoolRole.TEACHER,
    "administrator": SchoolRole.ADMINISTRATOR, "admin": SchoolRole.ADMINISTRATOR,
    "администратор": SchoolRole.ADMINISTRATOR,
    "guardian": SchoolRole.GUARDIAN, "parent": SchoolRole.GUARDIAN,
    "родитель": SchoolRole.GUARDIAN, "законный представитель": SchoolRole.GUARDIAN,
    "представитель": SchoolRole.GUARDIAN,
}

# Class letters typed on a Latin keyboard layout look the same but do not compare equal.
_LATIN_TO_CYRILLIC = str.maketrans("ABEKMHOPCTXY", "АВЕКМНОРСТХУ")


def _header_key(text: str) -> str:
    return re.sub(r"[\s_\-]+", " ", text.replace("\ufeff", "")).strip().lower()


HEADERS: dict[str, str] = {}
for _c in COLUMNS:
    for _name in (_c.russian, _c.english, *_c.aliases):
        HEADERS[_header_key(_name)] = _c.key
COLUMN_BY_KEY = {c.key: c for c in COLUMNS}


@dataclass(frozen=True)
class ImportProblem:
    """One thing wrong with the file: its row (None for the file as a whole) and column."""

    row: int | None
    column: str | None  # a key of COLUMNS
    header: str | None  # the column's title as written in the file
    message: str
    code: str = "invalid"  # invalid, required, duplicate or not_found (ErrorCode values)

    def describe(self) -> str:
        where = "file" if self.row is None else f"row {self.row}"
        if self.header:
            where += f", column «{self.header}»"
        return f"{where}: {self.message}"


class ImportFileError(Exception):
    """The file cannot be read at all (format, encoding, size, header)."""

    def __init__(self, *problems: ImportProblem) -> None:
        super().__init__("; ".join(p.describe() for p in problems))
        self.problems = list(problems)


@dataclass(frozen=True)
class ClassName:
    grade_level: int
    letter: str  # normalised: upper case, Cyrillic
    text: str  # as written in the file

    @property
    def key(self) -> tuple[int, str]:
        return self.grade_level, self.letter


@dataclass
class ImportRow:
    row: int
    external_id: str
    roles: set[SchoolRole]
    last_name: str
    first_name: str
    middle_name: str | None = None
    birth_date: date | None = None
    school_class: ClassName | None = None
    subgroups: list[str] = field(default_factory=list)
    enrolled_on: date | None = None
    guardian_of: list[str] = field(default_factory=list)
    relation: str | None = None
    login: str | None = None


@dataclass
class ParsedFile:
    rows: list[ImportRow]
    problems: list[ImportProblem]
    headers: dict[str, str]  # column key -> header as written
    ignored_columns: list[str]


@dataclass
class Table:
    header: list[str]
    rows: list[tuple[int, list[str]]]  # (row number as in Excel, cells)


# ---------------------------------------------------------------------------- reading


def decode_text(data: bytes) -> str:
    """UTF-8 (with or without a BOM), else Windows-1251, which decodes any byte."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1251")


def sniff_delimiter(text: str) -> str:
    """The separator of the header line: Russian Excel writes `;`, others `,` or a tab."""
    first = next((line for line in text.splitlines() if line.strip()), "")
    counts = {d: first.count(d) for d in (";", "\t", ",")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def read_csv(data: bytes) -> Table:
    text = decode_text(data)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sniff_delimiter(text))
    return _table((reader.line_num, row) for row in reader)


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() \
            else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # a code typed as a number: 1001, not 1001.0
    return str(value)


def read_xlsx(data: bytes) -> Table:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as e:
        raise ImportFileError(ImportProblem(None, None, None,
                                            f"not a readable XLSX workbook ({e})")) from None
    try:
        sheet = workbook.worksheets[0]
        return _table((i, [_cell_text(v) for v in values])
                      for i, values in enumerate(sheet.iter_rows(values_only=True), start=1))
    finally:
        workbook.close()


def _too_long(what: str) -> ImportFileError:
    return ImportFileError(ImportProblem(
        None, None, None, f"more than {what}: one import takes at most {MAX_ROWS} rows; "
                          "split the file"))


def _table(lines: Iterable[tuple[int, list[str]]]) -> Table:
    """Read lines until the row cap is passed, and no further: a file of a million rows is
    refused after 20,001 of them, not after reading them all."""
    header: list[str] | None = None
    rows: list[tuple[int, list[str]]] = []
    for count, (n, raw) in enumerate(lines, start=1):
        if count > MAX_LINES:
            # blank lines cost time to read too (a sheet may declare a million of them)
            raise _too_long(f"{MAX_LINES} lines, blank ones included")
        cells = [c.strip() for c in raw]
        if not any(cells):
            continue
        if header is None:
            header = cells
            continue
        rows.append((n, cells))
        if len(rows) > MAX_ROWS:
            raise _too_long(f"{MAX_ROWS} rows")
    if header is None:
        raise ImportFileError(ImportProblem(None, None, None, "the file is empty"))
    return Table(header=header, rows=rows)


def read_table(data: bytes, file_name: str) -> Table:
    """The first sheet of an XLSX workbook, or a CSV file in whatever encoding it came in."""
    if len(data) > MAX_FILE_BYTES:
        raise ImportFileError(ImportProblem(
            None, None, None, f"the file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB"))
    lowered = file_name.lower()
    if lowered.endswith(".xls"):
        raise ImportFileError(ImportProblem(
            None, None, None, "the old Excel format (.xls) is not read: save the sheet as "
                              "«Книга Excel (.xlsx)» or «CSV (разделители — точка с запятой)»"))
    if lowered.endswith(".xlsx") or data[:4] == b"PK\x03\x04":
        return read_xlsx(data)
    return read_csv(data)


# ---------------------------------------------------------------------------- values


def parse_date(text: str) -> date:
    """DD.MM.YYYY as Russian schools write it, or ISO YYYY-MM-DD; ValueError otherwise."""
    m = re.fullmatch(r"(\d{1,2})[./](\d{1,2})[./](\d{4})(?:\s+0?0:00(?::00)?)?", text)
    if m:
        return date(int(m[3]), int(m[2]), int(m[1]))
    m = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", text)
    if m:
        return date(int(m[1]), int(m[2]), int(m[3]))
    raise ValueError(text)


def normalise_letter(letter: str) -> str:
    return letter.upper().translate(_LATIN_TO_CYRILLIC)


def parse_class(text: str) -> ClassName | None:
    """«5А», «5 А», «5-а», «5 "А"», «11Б»; None when it is not a class name."""
    compact = re.sub(r"[\s\-«»\"'“”]+", "", text)
    m = re.fullmatch(r"(\d{1,2})([^\d]{1,8})", compact)
    if not m or not 1 <= int(m[1]) <= 11:
        return None
    return ClassName(int(m[1]), normalise_letter(m[2]), text)


def split_list(text: str) -> list[str]:
    return [part.strip() for part in re.split(r"[;,]", text) if part.strip()]


def split_names(text: str) -> list[str]:
    """Subgroup names between «;» (or line breaks): a name may itself contain a comma."""
    return list(dict.fromkeys(
        name for part in re.split(r"[;\n]", text) if (name := re.sub(r"\s+", " ", part).strip())))


# ---------------------------------------------------------------------------- rows


def map_header(header: list[str]) -> tuple[dict[int, str], dict[str, str], list[str],
                                           list[ImportProblem]]:
    """Column positions by key, the titles as written, ignored titles, and header problems."""
    positions: dict[int, str] = {}
    titles: dict[str, str] = {}
    ignored: list[str] = []
    problems: list[ImportProblem] = []
    for i, title in enumerate(header):
        if not title:
            continue
        key = HEADERS.get(_header_key(title))
        if key is None:
            # Anything the platform does not need is neither read nor stored.
            ignored.append(title)
        elif key in titles:
            problems.append(ImportProblem(1, key, title,
                                          f"the column appears twice (also «{titles[key]}»)",
                                          "duplicate"))
        else:
            positions[i] = key
            titles[key] = title
    for c in COLUMNS:
        if c.required and c.key not in titles:
            problems.append(ImportProblem(1, c.key, None,
                                          f"the column «{c.russian}» ({c.english}) is missing",
                                          "required"))
    return positions, titles, ignored, problems


class _RowReader:
    def __init__(self, row: int, cells: dict[str, str], titles: dict[str, str],
                 problems: list[ImportProblem]) -> None:
        self.row, self.cells, self.titles, self.problems = row, cells, titles, problems

    def add(self, key: str, message: str, code: str = "invalid") -> None:
        self.problems.append(ImportProblem(self.row, key, self.titles.get(key)
                                           or COLUMN_BY_KEY[key].russian, message, code))

    def text(self, key: str, limit: int, *, required: bool = False) -> str | None:
        value = re.sub(r"\s+", " ", self.cells.get(key, "")).strip()
        if not value:
            if required:
                self.add(key, "is empty", "required")
            return None
        if len(value) > limit:
            self.add(key, f"is longer than {limit} characters")
            return None
        return value

    def date(self, key: str, today: date, *, past: bool) -> date | None:
        value = self.cells.get(key, "").strip()
        if not value:
            return None
        try:
            parsed = parse_date(value)
        except ValueError:
            self.add(key, f"«{value}» is not a date; write DD.MM.YYYY, e.g. 01.09.2010")
            return None
        if past and parsed > today:
            self.add(key, f"«{value}» is in the future")
        elif past and parsed < EARLIEST_BIRTH_DATE:
            self.add(key, f"«{value}» is before 1900")
        return parsed


def parse_row(row: int, cells: dict[str, str], titles: dict[str, str], today: date,
              problems: list[ImportProblem]) -> ImportRow | None:
    r = _RowReader(row, cells, titles, problems)
    before = len(problems)
    external_id = r.text("external_id", EXTERNAL_ID_MAX, required=True)
    roles: set[SchoolRole] = set()
    role_text = cells.get("role", "").strip()
    if not role_text:
        r.add("role", "is empty; write ученик, учитель, администратор or родитель", "required")
    for word in split_list(role_text):
        role = ROLE_WORDS.get(re.sub(r"\s+", " ", word.lower()))
        if role is None:
            r.add("role", f"unknown role «{word}»; write ученик (student), учитель (teacher), "
                          "администратор (administrator) or родитель (guardian)")
        else:
            roles.add(role)
    last_name = r.text("last_name", NAME_MAX, required=True)
    first_name = r.text("first_name", NAME_MAX, required=True)
    middle_name = r.text("middle_name", NAME_MAX)
    birth_date = r.date("birth_date", today, past=True)
    school_class: ClassName | None = None
    class_text = cells.get("class", "").strip()
    if class_text:
        school_class = parse_class(class_text)
        if school_class is None:
            r.add("class", f"«{class_text}» is not a class name; write grade and letter, "
                           "e.g. 5А")
        elif roles and SchoolRole.STUDENT not in roles:
            r.add("class", "only a student is enrolled in a class (add the role ученик)")
    subgroups = split_names(cells.get("subgroups", ""))
    if subgroups and not class_text:
        r.add("subgroups", "are given without a class")
    for name in subgroups:
        if len(name) > SUBGROUP_MAX:
            r.add("subgroups", f"«{name[:20]}…» is longer than {SUBGROUP_MAX} characters")
    enrolled_on = r.date("enrolled_on", today, past=False)
    if enrolled_on is not None and not class_text:
        r.add("enrolled_on", "is given without a class")
    guardian_of = split_list(cells.get("guardian_of", ""))
    if guardian_of and roles and SchoolRole.GUARDIAN not in roles:
        r.add("guardian_of", "only a guardian is linked to students (add the role родитель)")
    if external_id and external_id in guardian_of:
        r.add("guardian_of", "a person cannot be their own guardian")
    relation = r.text("relation", RELATION_MAX)
    login: str | None = None
    login_text = cells.get("login", "").strip()
    if login_text:
        login = normalize_login(login_text)
        if not LOGIN_PATTERN.fullmatch(login):
            r.add("login", f"«{login_text}» is not a login: {LOGIN_RULE}")
            login = None
    if len(problems) > before:
        return None
    assert external_id and last_name and first_name
    return ImportRow(row=row, external_id=external_id, roles=roles, last_name=last_name,
                     first_name=first_name, middle_name=middle_name, birth_date=birth_date,
                     school_class=school_class, subgroups=subgroups, enrolled_on=enrolled_on,
                     guardian_of=list(dict.fromkeys(guardian_of)), relation=relation,
                     login=login)


def parse_table(table: Table, today: date) -> ParsedFile:
    """Every row checked on its own and against the others in the file (duplicate codes and
    logins, links to children); checks against the database come later."""
    positions, titles, ignored, problems = map_header(table.header)
    if problems:
        return ParsedFile([], problems, titles, ignored)
    rows: list[ImportRow] = []
    seen_ids: dict[str, int] = {}
    seen_logins: dict[str, int] = {}
    for number, values in table.rows:
        cells = {key: values[i] if i < len(values) else "" for i, key in positions.items()}
        if not any(cells.values()):
            continue
        parsed = parse_row(number, cells, titles, today, problems)
        external_id = (cells.get("external_id") or "").strip()
        if external_id in seen_ids:
            problems.append(ImportProblem(number, "external_id", titles["external_id"],
                                          f"code «{external_id}» is already used in row "
                                          f"{seen_ids[external_id]}", "duplicate"))
            continue
        if external_id:
            seen_ids[external_id] = number
        if parsed is None:
            continue
        if parsed.login is not None:
            if parsed.login in seen_logins:
                problems.append(ImportProblem(number, "login", titles["login"],
                                              f"login «{parsed.login}» is already used in row "
                                              f"{seen_logins[parsed.login]}", "duplicate"))
                continue
            seen_logins[parsed.login] = number
        rows.append(parsed)
    return ParsedFile(rows, problems, titles, ignored)


def parse_file(data: bytes, file_name: str, today: date) -> ParsedFile:
    return parse_table(read_table(data, file_name), today)
