"""SQLAlchemy models, one module per domain; importing this package registers them all."""

from db.models.account_links import AccountLinkCode
from db.models.accounts import (
    AccessStamp,
    Account,
    ApiToken,
    OfficerRole,
    RefreshToken,
    TokenScope,
)
from db.models.audit import AuditEntry
from db.models.base import Base
from db.models.calendar import (
    AcademicYear,
    GradeLevelScheme,
    Holiday,
    Period,
    PeriodScheme,
    SchemeKind,
    YearStatus,
)
from db.models.classes import (
    CurriculumLine,
    CurriculumPlan,
    Enrollment,
    GroupKind,
    GroupMembership,
    SchoolClass,
    Split,
    StudyGroup,
    TeacherAssignment,
)
from db.models.events import DiaryEventEntry
from db.models.exams import ExamKind, ExamLevel
from db.models.geography import Municipality, Region, School
from db.models.grades import Grade, GradeKind, GradeState
from db.models.grading import (
    ConversionRow,
    ConversionTable,
    GradingKind,
    GradingSystem,
    GradingSystemUse,
    GradingTemplate,
    GradingTemplateValue,
    MarkValue,
)
from db.models.lessons import Lesson, LessonStatus
from db.models.login_attempts import LoginAttempt
from db.models.marks import Attendance, AttendanceKind, Mark
from db.models.messages import (
    Announcement,
    AnnouncementRead,
    Message,
    MessageParticipant,
    MessageThread,
)
from db.models.notifications import (
    NotificationDelivery,
    NotificationOutbox,
    NotificationPreference,
    PushSubscription,
    Webhook,
)
from db.models.people import Guardianship, Person, PersonRole, SchoolRole
from db.models.receipts import MutationReceipt
from db.models.settings import SchoolSettings
from db.models.subjects import LessonType, Subject, TeachingWithoutMarks, WorkType
from db.models.timetable import Bell, TimetableSlot

__all__ = [
    "AcademicYear",
    "AccessStamp",
    "Account",
    "AccountLinkCode",
    "Announcement",
    "AnnouncementRead",
    "ApiToken",
    "Attendance",
    "AttendanceKind",
    "AuditEntry",
    "Base",
    "Bell",
    "ConversionRow",
    "ConversionTable",
    "CurriculumLine",
    "CurriculumPlan",
    "DiaryEventEntry",
    "Enrollment",
    "ExamKind",
    "ExamLevel",
    "Grade",
    "GradeKind",
    "GradeLevelScheme",
    "GradeState",
    "GradingKind",
    "GradingSystem",
    "GradingSystemUse",
    "GradingTemplate",
    "GradingTemplateValue",
    "GroupKind",
    "GroupMembership",
    "Guardianship",
    "Holiday",
    "Lesson",
    "LessonStatus",
    "LessonType",
    "LoginAttempt",
    "Mark",
    "MarkValue",
    "Message",
    "MessageParticipant",
    "MessageThread",
    "Municipality",
    "MutationReceipt",
    "NotificationDelivery",
    "NotificationOutbox",
    "NotificationPreference",
    "OfficerRole",
    "Period",
    "PeriodScheme",
    "Person",
    "PersonRole",
    "PushSubscription",
    "RefreshToken",
    "Region",
    "SchemeKind",
    "School",
    "SchoolClass",
    "SchoolRole",
    "SchoolSettings",
    "Split",
    "StudyGroup",
    "Subject",
    "TeacherAssignment",
    "TeachingWithoutMarks",
    "TimetableSlot",
    "TokenScope",
    "Webhook",
    "WorkType",
    "YearStatus",
]
