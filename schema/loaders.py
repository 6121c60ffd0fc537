"""Per-request DataLoaders, keyed by model class or foreign-key column (never by string).

`by_id(Model)` loads rows by primary id; `many(Model.fk)` loads the rows that point at each
key. Each batch is one statement, so a query's statement count does not grow with its rows.
RLS scopes every statement to the viewer's schools.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any, TypeVar, cast

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute
from strawberry.dataloader import DataLoader

from db.models import Account, Base, Period, Person
from db.rls import OFFICER_HIDDEN_COLUMNS
from resolvers.calendar.group_periods import periods_of_groups
from schema.pagination import never_matches
from tenants.access import AccessContext
from tenants.rules import reads_only_aggregates
from tenants.visibility import person_filter

T = TypeVar("T", bound=Base)

# Tables with columns the officer role may not select (db/rls.py), and the audit log.
OFFICER_UNREADABLE = frozenset({*OFFICER_HIDDEN_COLUMNS, "audit_log"})


class Loaders:
    def __init__(self, session: AsyncSession, access: AccessContext) -> None:
        self.session = session
        self._blind = reads_only_aggregates(access)
        self._by_id: dict[type[Base], DataLoader[uuid.UUID, Any]] = {}
        self._many: dict[InstrumentedAttribute[Any], DataLoader[uuid.UUID, Any]] = {}

        async def load_persons(ids: Sequence[uuid.UUID]) -> list[Person | None]:
            stmt = select(Person).where(Person.id.in_(ids), person_filter(access))
            if never_matches(stmt):
                # Nobody visible (an officer): no statement, which the officer role would refuse.
                return [None] * len(ids)
            rows = await session.scalars(stmt)
            found = {row.id: row for row in rows}
            return [found.get(i) for i in ids]

        # Personal data: only the persons the viewer may read (tenants/visibility.py).
        self.visible_person: DataLoader[uuid.UUID, Person | None] = DataLoader(load_persons)

        async def load_logins(ids: Sequence[uuid.UUID]) -> list[str | None]:
            # Explicit columns: the application role may not read accounts.password_hash.
            rows = await session.execute(
                select(Account.id, Account.login).where(Account.id.in_(ids))
            )
            found = {row.id: row.login for row in rows}
            return [found.get(i) for i in ids]

        # Logins by account id (`by_id(Account)` would select the password hash and fail).
        self.account_login: DataLoader[uuid.UUID, str | None] = DataLoader(load_logins)

        async def load_group_periods(ids: Sequence[uuid.UUID]) -> list[list[Period]]:
            return await periods_of_groups(session, ids)

        # A study group's own reporting periods (resolvers/calendar/group_periods.py).
        self.group_periods: DataLoader[uuid.UUID, list[Period]] = DataLoader(
            load_group_periods)

    def by_id(self, model: type[T]) -> DataLoader[uuid.UUID, T | None]:
        loader = self._by_id.get(model)
        if loader is None:
            async def load(ids: Sequence[uuid.UUID]) -> list[T | None]:
                if self._blind and model.__tablename__ in OFFICER_UNREADABLE:
                    # An officer reads no such row one by one, and the officer role would
                    # refuse the statement: none found, as for ids of another school.
                    return [None] * len(ids)
                rows = await self.session.scalars(
                    select(model).where(model.id.in_(ids))  # type: ignore[attr-defined]
                )
                found = {row.id: row for row in rows}  # type: ignore[attr-defined]
                return [found.get(i) for i in ids]

            loader = self._by_id[model] = DataLoader(load)
        return cast(DataLoader[uuid.UUID, T | None], loader)

    def many(
        self, column: InstrumentedAttribute[Any], *order_by: InstrumentedAttribute[Any]
    ) -> DataLoader[uuid.UUID, list[Any]]:
        loader = self._many.get(column)
        if loader is None:
            model = column.class_

            async def load(keys: Sequence[uuid.UUID]) -> list[list[Any]]:
                stmt = select(model).where(column.in_(keys))
                if order_by:
                    stmt = stmt.order_by(*order_by)
                groups: dict[uuid.UUID, list[Any]] = {k: [] for k in keys}
                for row in await self.session.scalars(stmt):
                    groups[getattr(row, column.key)].append(row)
                return [groups[k] for k in keys]

            loader = self._many[column] = DataLoader(load)
        return loader
