"""A school's settings of the journal rules: the type read as `School.settings`, and
`updateSchoolSettings` (rules in resolvers/school_settings.py)."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from resolvers import school_settings as rules
from resolvers.input_ids import KEEP
from schema.errors import UserError
from schema.input_ids import kept
from schema.mutations import Input, actor, apply
from schema.permissions import IsAuthenticated
from schema.school_access import admin_school_by_global_id


@strawberry.type(description="How a school applies the regulation's journal rules. A school "
                             "that never changed them has the defaults shown here.")
class SchoolSettings:
    mark_deadline_days: int = strawberry.field(
        description="Days after the work within which a mark is on time (regulation 5.6: 7); "
                    "a later mark is accepted with a LATE_ENTRY warning.")
    posting_window_days: int | None = strawberry.field(
        description="Days after a lesson after which only an administrator may change its "
                    "entries; null: no window.")
    rounding_threshold: float = strawberry.field(
        description="The fraction from which an average rounds up to the next grade: 0.5 "
                    "rounds 4.5 to 5, 0.6 rounds 4.5 to 4 and 4.6 to 5.")
    min_group_size: int = strawberry.field(
        description="Aggregates over fewer students than this are suppressed (small-cell "
                    "threshold, default 5).")
    time_zone: str = strawberry.field(
        description="IANA time zone of the school (`School.timezone`): the school's days, "
                    "deadlines and reports follow it.")
    offline_window_hours: int = strawberry.field(
        description="How long after the fact an entry may say it was recorded offline "
                    "(`recordedAt`), in hours (default 72).")
    digest_hour: int = strawberry.field(
        description="The hour (0–23, school time) at which the daily email digest goes to "
                    "those who take it (default 18).")
    notification_retention_days: int = strawberry.field(
        description="Days delivered notifications and webhook deliveries are kept before the "
                    "worker purges them (default 30; dead letters: 30 days).")

    @classmethod
    def of(cls, s: rules.Settings) -> SchoolSettings:
        return cls(mark_deadline_days=s.mark_deadline_days,
                   posting_window_days=s.posting_window_days,
                   rounding_threshold=float(s.rounding_threshold),
                   min_group_size=s.min_group_size, time_zone=s.time_zone,
                   offline_window_hours=s.offline_window_hours, digest_hour=s.digest_hour,
                   notification_retention_days=s.notification_retention_days)


@strawberry.input(description="Changes to a school's settings; omitted fields stay as they "
                              "are.")
class UpdateSchoolSettingsInput:
    school_id: strawberry.ID = strawberry.field(description="The school (a School id); the "
                                                            "viewer must administer it.")
    mark_deadline_days: int | None = strawberry.field(
        default=strawberry.UNSET, description="Days for a mark to be on time: 0 to 60.")
    posting_window_days: int | None = strawberry.field(
        default=strawberry.UNSET, description="Days after a lesson its entries stay open to "
                                              "teachers: 0 to 366, or null for no window.")
    rounding_threshold: float | None = strawberry.field(
        default=strawberry.UNSET, description="Rounding threshold: more than 0, less than "
                                              "1, at most two decimals.")
    min_group_size: int | None = strawberry.field(
        default=strawberry.UNSET, description="Small-cell threshold of aggregates: 1 to 50.")
    time_zone: str | None = strawberry.field(
        default=strawberry.UNSET, description="IANA time zone name, e.g. «Asia/Yakutsk».")
    offline_window_hours: int | None = strawberry.field(
        default=strawberry.UNSET, description="Offline window of `recordedAt`: 0 to 720 "
                                              "hours.")
    digest_hour: int | None = strawberry.field(
        default=strawberry.UNSET, description="Hour of the daily email digest, school time: "
                                              "0 to 23.")
    notification_retention_days: int | None = strawberry.field(
        default=strawberry.UNSET, description="Days delivered notifications are kept: 1 to "
                                              "365.")


@strawberry.type(description="Result of `updateSchoolSettings`.")
class SchoolSettingsPayload:
    settings: SchoolSettings | None = strawberry.field(description="The settings now in force; "
                                                                   "null when refused.")
    errors: list[UserError] = strawberry.field(description="Why the input was refused; empty "
                                                           "on success.")


async def update_school_settings_field(info: Info, input: Input[UpdateSchoolSettingsInput]
                                       ) -> SchoolSettingsPayload:
    async def write() -> rules.Settings:
        school_id = admin_school_by_global_id(info.context.access, input.school_id,
                                              "input.schoolId")
        changes = {key: kept(getattr(input, key)) for key in (
            "mark_deadline_days", "posting_window_days", "rounding_threshold",
            "min_group_size", "time_zone", "offline_window_hours", "digest_hour",
            "notification_retention_days")}
        return await rules.update_school_settings(
            info.context.session, actor(info, school_id), school_id,
            {k: v for k, v in changes.items() if v is not KEEP})

    result, errors = await apply(info, write)
    return SchoolSettingsPayload(settings=SchoolSettings.of(result) if result else None,
                                 errors=errors)


@strawberry.type
class SchoolSettingsMutation:
    update_school_settings: SchoolSettingsPayload = strawberry.field(
        resolver=update_school_settings_field, permission_classes=[IsAuthenticated],
        description="Change a school's settings: mark deadline, posting window, rounding "
                    "threshold, small-cell threshold, time zone, offline window, digest "
                    "hour, notification retention (administrator; audited). They take "
                    "effect from the next request.")
