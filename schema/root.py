"""The Schema object: the root types composed from each domain's fields."""

from __future__ import annotations

import strawberry
from strawberry import relay
from strawberry.extensions import SchemaExtension

from schema.account_links import AccountLinksMutation
from schema.aggregates import AggregatesQuery
from schema.announcement_receipts import AnnouncementReceiptsMutation, AnnouncementReceiptsQuery
from schema.audit import AuditQuery
from schema.auth import AuthMutation
from schema.calendar import AcademicYear, Holiday, Period, PeriodScheme
from schema.calendar_fields import CalendarMutation, CalendarQuery
from schema.classes import SchoolClass, Split, StudyGroup, TeacherAssignment
from schema.curriculum import CurriculumMutation
from schema.diary import DiaryQuery
from schema.errors import DomainErrors
from schema.events import EventsSubscription
from schema.exam_kinds import ExamKind, ExamKindsMutation, ExamKindsQuery
from schema.exam_results import ExamResultsMutation
from schema.excuses import ExcusesMutation
from schema.execution import PlainDataExecution
from schema.final_grades import FinalGradesMutation, FinalGradesQuery
from schema.grades import Grade
from schema.grades_fields import GradesMutation, GradesQuery
from schema.grading import (
    ConversionTable,
    GradingSystem,
    GradingSystemUse,
    GradingTemplate,
    MarkValue,
)
from schema.grading_fields import GradingMutation, GradingQuery
from schema.imports import ImportsMutation
from schema.inputs import plan_inputs
from schema.journal import JournalQuery
from schema.lessons import Lesson
from schema.lessons_fields import LessonsMutation, LessonsQuery
from schema.marks import AttendanceEntry, Mark
from schema.marks_fields import MarksMutation, MarksQuery
from schema.messages import MessagesMutation, MessagesQuery
from schema.notifications import (
    NotificationDelivery,
    NotificationsMutation,
    NotificationsQuery,
    Webhook,
)
from schema.people import Person
from schema.people_fields import PeopleMutation, PeopleQuery
from schema.permissions import IsAuthenticated
from schema.push import PushMutation, PushQuery
from schema.report_card import ReportCardQuery
from schema.reports import ReportsQuery
from schema.roster_fields import RosterMutation, RosterQuery
from schema.school_settings import SchoolSettingsMutation
from schema.schools import Municipality, School, SchoolsQuery
from schema.subjects import LessonType, Subject, SubjectsMutation, SubjectsQuery, WorkType
from schema.timetable import TimetableMutation, TimetableQuery, TimetableSlot
from schema.tokens import ApiToken, TokensMutation, TokensQuery
from schema.viewer import ViewerQuery
from schema.without_marks import WithoutMarksMutation, WithoutMarksQuery


@strawberry.type
class NodeQuery:
    node: relay.Node | None = relay.node(
        description="Fetch any object by its global id; not found and not visible look alike.",
        permission_classes=[IsAuthenticated],
    )
    nodes: list[relay.Node | None] = relay.node(
        description="Fetch several objects by global id, in order; null where not found or not "
                    "visible.",
        permission_classes=[IsAuthenticated],
    )


@strawberry.type(description="Entry points for reading.")
class Query(NodeQuery, ViewerQuery, SchoolsQuery, CalendarQuery, GradingQuery, SubjectsQuery,
            RosterQuery, PeopleQuery, TokensQuery, AuditQuery, TimetableQuery, LessonsQuery,
            JournalQuery, DiaryQuery, MarksQuery, GradesQuery, AggregatesQuery, ReportsQuery,
            WithoutMarksQuery, ReportCardQuery, ExamKindsQuery, FinalGradesQuery,
            NotificationsQuery, MessagesQuery, PushQuery, AnnouncementReceiptsQuery):
    pass


@strawberry.type(description="Entry points for changing data. Every mutation takes one "
                             "`input` and returns a payload with `errors`; when there are "
                             "errors nothing was written.")
class Mutation(AuthMutation, CalendarMutation, GradingMutation, SubjectsMutation,
               RosterMutation, PeopleMutation, TokensMutation, TimetableMutation,
               LessonsMutation, MarksMutation, ExcusesMutation, GradesMutation,
               ImportsMutation, AccountLinksMutation, SchoolSettingsMutation,
               CurriculumMutation, WithoutMarksMutation, ExamKindsMutation,
               ExamResultsMutation, FinalGradesMutation, NotificationsMutation,
               MessagesMutation, PushMutation, AnnouncementReceiptsMutation):
    pass


# Every Node type must be listed so `node(id:)` can resolve it; domains add theirs here.
NODE_TYPES: list[type] = [School, Municipality, Person, SchoolClass, StudyGroup, ApiToken,
                         AcademicYear, PeriodScheme, Period, Holiday]
NODE_TYPES += [GradingSystem, MarkValue, ConversionTable, GradingSystemUse, GradingTemplate,
               Subject, WorkType, LessonType]
NODE_TYPES += [Split, TeacherAssignment]
NODE_TYPES += [Lesson, TimetableSlot]
NODE_TYPES += [Mark, AttendanceEntry]
NODE_TYPES += [Grade, ExamKind]
NODE_TYPES += [NotificationDelivery, Webhook]


@strawberry.type(description="Live updates, over WebSocket (graphql-transport-ws) at /graphql.")
class Subscription(EventsSubscription):
    pass


# What the schema itself does to every operation; the edge adds its own (server/served_schema.py).
SCHEMA_EXTENSIONS: list[type[SchemaExtension]] = [DomainErrors]


def build_schema() -> strawberry.Schema:
    built = strawberry.Schema(query=Query, mutation=Mutation, subscription=Subscription,
                              types=NODE_TYPES, extensions=SCHEMA_EXTENSIONS,
                              execution_context_class=PlainDataExecution)
    plan_inputs(built)
    return built


schema = build_schema()
