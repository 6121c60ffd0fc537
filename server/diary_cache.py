"""Answers of diary queries kept per viewer, dropped when the diary's data changes.

A week's diary is read far more often than it changes (the evening peak: parents reading),
and most of its cost is GraphQL resolving its few hundred fields (docs/benchmarks.md). A query
whose only root field is `diary` is answered from here when the same viewer sent the same
document with the same variables before and nothing the answer shows has changed since.

Safety, in this order:
- **Per viewer.** The key holds a digest of the request's whole access context (account or
  token, every school membership with roles, groups taught, lessons substituted, classes led,
  children; officer reach; scopes). The access context is resolved from the database on every
  request, cached or not, so a revoked session, a removed guardianship or a new assignment
  changes the key: nobody is ever answered with what another viewer, or the same viewer with
  other rights, was answered.
- **Dropped on change.** Every process hears the diary NOTIFY events
  (resolvers/events/notifications.py): a mark or attendance change drops the student's
  entries, a lesson change (topic, homework, status) every entry of a viewer of that school.
  An answer computed while such an event arrived is not stored (epochs), so a write
  committed during a read cannot stay hidden.
- **Only while listening.** While the listener is disconnected events are lost: nothing is
  read from or stored in the cache, and it is emptied when the listener connects again.
- **Bounded.** Entries live at most `ttl` seconds, so what no event announces (a lesson added,
  deleted, moved to another day or given to a substitute; a new membership; a renamed subject
  or teacher) shows at most that late. At most `max_entries` are kept (least recently used
  out), each as compact JSON (~10 KB a week: 2,000 entries are ~20 MB of a worker).

An event reaches the process 6–30 ms after its commit; a read in that window may still get
the answer from before the write, as a read that started just before the commit would.
"""

from __future__ import annotations

import hashlib
import json
import time
import uuid
import weakref
from collections import OrderedDict
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import orjson
from graphql import FieldNode, GraphQLError, OperationDefinitionNode, OperationType
from graphql.language import StringValueNode, VariableNode

from resolvers.events.notifications import DiaryNotice
from schema.ids import from_global_id
from server.documents import parse_bounded
from tenants.access import AccessContext

Key = str


@dataclass
class Entry:
    data: bytes  # the answer as compact JSON: a fifth of the memory of the Python objects
    student_id: uuid.UUID
    schools: frozenset[uuid.UUID]
    stored_at: float


@lru_cache(maxsize=256)
def diary_argument(query: str, operation_name: str | None) -> tuple[str, str] | None:
    """For a query whose only root field is `diary` (no directive on it): how its `studentId`
    is given, ("variable", name) or ("literal", value). None for any other document."""
    try:
        # From the cache the edge filled off the event loop (server/documents.py).
        document = parse_bounded(query)
    except GraphQLError:
        return None
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    chosen = [o for o in operations
              if operation_name is None or (o.name and o.name.value == operation_name)]
    if len(chosen) != 1 or (operation_name is None and len(operations) != 1):
        return None
    operation = chosen[0]
    if operation.operation is not OperationType.QUERY:
        return None
    selections = operation.selection_set.selections
    if len(selections) != 1 or not isinstance(selections[0], FieldNode):
        return None
    field = selections[0]
    if field.name.value != "diary" or field.directives:
        return None
    for argument in field.arguments:
        if argument.name.value == "studentId":
            if isinstance(argument.value, VariableNode):
                return ("variable", argument.value.name.value)
            if isinstance(argument.value, StringValueNode):
                return ("literal", argument.value.value)
    return None


# Digests of the access contexts in use, by object: a kept session's context is the same object
# from request to request (tenants/access.py AccessCache), and its digest the same string.
_DIGESTS: dict[int, tuple[weakref.ref[AccessContext], str]] = {}
_DIGESTS_KEPT = 10_000


def access_digest(access: AccessContext) -> str:
    """Everything the permission rules read of the viewer, in a canonical form (hashed)."""
    known = _DIGESTS.get(id(access))
    if known is not None and known[0]() is access:
        return known[1]
    digest = _access_digest(access)
    if len(_DIGESTS) >= _DIGESTS_KEPT:
        _DIGESTS.clear()
    # the weak reference tells a context from a later one that got the same id
    _DIGESTS[id(access)] = (weakref.ref(access), digest)
    return digest


def _access_digest(access: AccessContext) -> str:
    memberships = sorted(
        (str(m.school_id), str(m.person_id), sorted(r.value for r in m.roles),
         sorted(map(str, m.taught_group_ids)), sorted(map(str, m.substitute_lesson_ids)),
         sorted(map(str, m.led_class_ids)), sorted(map(str, m.child_ids)))
        for m in access.memberships.values())
    canonical = json.dumps([
        str(access.account_id), str(access.token_id),
        sorted(s.value for s in access.scopes) if access.scopes is not None else None,
        memberships,
        *(sorted(map(str, ids)) for ids in (
            access.officer_municipality_ids, access.officer_region_ids,
            access.officer_school_ids, access.token_school_ids)),
    ])
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True)
class Lookup:
    """A cacheable request: its key, its student, and the epoch it started in."""

    key: Key
    student_id: uuid.UUID
    epoch: int


class DiaryCache:
    def __init__(self, *, max_entries: int = 2000, ttl: float = 60.0) -> None:
        self.max_entries, self.ttl = max_entries, ttl
        self._entries: OrderedDict[Key, Entry] = OrderedDict()
        self._by_student: dict[uuid.UUID, set[Key]] = {}
        self._by_school: dict[uuid.UUID, set[Key]] = {}
        self._epoch = 0  # counts every change heard, and every reset
        self._reset_epoch = 0
        self._student_epoch: dict[uuid.UUID, int] = {}
        self._school_epoch: dict[uuid.UUID, int] = {}
        self.listening = False

    def __len__(self) -> int:
        return len(self._entries)

    def lookup(self, access: AccessContext, query: str, operation_name: str | None,
               variables: dict[str, Any] | None) -> Lookup | None:
        """The request's key when it may be served from, or stored into, the cache."""
        if not self.listening or not access.is_authenticated:
            return None
        argument = diary_argument(query, operation_name)
        if argument is None:
            return None
        kind, name = argument
        raw = (variables or {}).get(name) if kind == "variable" else name
        if not isinstance(raw, str):
            return None
        try:
            student_id = from_global_id(raw, "Person", "studentId")
        except Exception:  # an invalid id: let the resolver say so
            return None
        key = hashlib.sha256(orjson.dumps(
            [query, operation_name, variables or {}, access_digest(access)],
            option=orjson.OPT_SORT_KEYS, default=str)).hexdigest()
        return Lookup(key, student_id, self._epoch)

    def get(self, lookup: Lookup) -> dict[str, Any] | None:
        entry = self._entries.get(lookup.key)
        if entry is None or time.monotonic() - entry.stored_at > self.ttl:
            if entry is not None:
                self._drop(lookup.key)
            return None
        self._entries.move_to_end(lookup.key)
        return orjson.loads(entry.data)

    def put(self, lookup: Lookup, data: dict[str, Any], schools: frozenset[uuid.UUID]) -> None:
        """Keep an answer, unless something it may show changed since the request began."""
        changed = max(self._reset_epoch, self._student_epoch.get(lookup.student_id, 0),
                      *(self._school_epoch.get(s, 0) for s in schools))
        if not self.listening or changed > lookup.epoch:
            return
        self._drop(lookup.key)
        try:
            encoded = orjson.dumps(data)  # the same compact UTF-8 JSON, several times faster
        except (orjson.JSONEncodeError, TypeError):
            encoded = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()
        self._entries[lookup.key] = Entry(encoded, lookup.student_id, schools, time.monotonic())
        self._by_student.setdefault(lookup.student_id, set()).add(lookup.key)
        for school in schools:
            self._by_school.setdefault(school, set()).add(lookup.key)
        while len(self._entries) > self.max_entries:
            self._drop(next(iter(self._entries)))

    def heard(self, notice: DiaryNotice) -> None:
        """A change committed somewhere: drop every answer it may touch."""
        self._epoch += 1
        if notice.entity == "lessons":
            self._school_epoch[notice.school_id] = self._epoch
            stale = self._by_school.get(notice.school_id, set())
        elif notice.student_id is not None:
            self._student_epoch[notice.student_id] = self._epoch
            stale = self._by_student.get(notice.student_id, set())
        else:
            self.reset()
            return
        for key in list(stale):
            self._drop(key)

    def connected(self, listening: bool) -> None:
        """The listener's state: events can be missed while it is down, so the cache is
        emptied on every change of state and used only while listening."""
        self.listening = listening
        self.reset()

    def reset(self) -> None:
        self._epoch += 1
        self._reset_epoch = self._epoch
        self._entries.clear()
        self._by_student.clear()
        self._by_school.clear()
        self._student_epoch.clear()
        self._school_epoch.clear()

    def _drop(self, key: Key) -> None:
        entry = self._entries.pop(key, None)
        if entry is None:
            return
        for index, at in ((self._by_student, entry.student_id),
                          *((self._by_school, s) for s in entry.schools)):
            keys = index.get(at)
            if keys is not None:
                keys.discard(key)
                if not keys:
                    del index[at]
