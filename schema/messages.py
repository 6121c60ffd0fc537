"""Messages and class announcements in the API (docs/notifications.md "Messages"): the
viewer's threads, their messages and read receipts, and announcements. Text only; there are no
attachments. Officers and API tokens see none of it."""

from __future__ import annotations

import uuid
from datetime import datetime

import strawberry
from strawberry import relay
from strawberry.types import Info

from db import models
from resolvers import messages
from schema.errors import UserError
from schema.ids import SchoolIdArg, from_global_id, school_arg, to_global_id
from schema.mutations import Input, actor, apply
from schema.pagination import After, First, empty_connection, paginate
from schema.people import Person
from schema.permissions import IsAuthenticated


async def _person(info: Info, person_id: uuid.UUID) -> Person | None:
    row = await info.context.loaders.visible_person.load(person_id)
    return Person.from_model(row) if row else None


@strawberry.type(description="One message of a thread (text only).")
class ThreadMessage:
    id: strawberry.ID = strawberry.field(description="Global id of the message.")
    body: str = strawberry.field(description="The text.")
    created_at: datetime = strawberry.field(description="When it was sent.")
    author_id: strawberry.Private[uuid.UUID]
    viewer_person_id: strawberry.Private[uuid.UUID | None]

    @strawberry.field(description="Who wrote it (null where the viewer may not see the "
                                  "person).")
    async def author(self, info: Info) -> Person | None:
        return await _person(info, self.author_id)

    @strawberry.field(name="authorId", description="Global id of the author's Person (a "
                                                   "participant of the thread).")
    def author_global_id(self) -> strawberry.ID:
        return strawberry.ID(to_global_id("Person", self.author_id))

    @strawberry.field(description="Whether the viewer wrote it.")
    def mine(self) -> bool:
        return self.author_id == self.viewer_person_id

    @classmethod
    def from_model(cls, row: models.Message, viewer: uuid.UUID | None) -> ThreadMessage:
        return cls(id=strawberry.ID(to_global_id("ThreadMessage", row.id)), body=row.body,
                   created_at=row.created_at, author_id=row.author_id,
                   viewer_person_id=viewer)


@strawberry.type(description="A person of a thread and their read receipt.")
class ThreadParticipant:
    read_at: datetime | None = strawberry.field(description="When they last read the thread "
                                                            "(null: never).")
    name: str = strawberry.field(description="The participant's last and first name.")
    person_id: strawberry.Private[uuid.UUID]

    @strawberry.field(name="personId", description="Global id of the participant's Person.")
    def person_global_id(self) -> strawberry.ID:
        return strawberry.ID(to_global_id("Person", self.person_id))

    @strawberry.field(description="The participant (null where the viewer may not see the "
                                  "person).")
    async def person(self, info: Info) -> Person | None:
        return await _person(info, self.person_id)


@strawberry.type(description="A conversation about one student between a member of staff and "
                             "the student's guardians (or the student). Seen only by its "
                             "participants.")
class MessageThread:
    id: strawberry.ID = strawberry.field(description="Global id of the MessageThread.")
    created_at: datetime = strawberry.field(description="When it was started.")
    read_at: datetime | None = strawberry.field(description="When the viewer last read it "
                                                            "(null: never).")
    school_id: strawberry.Private[uuid.UUID]
    thread_id: strawberry.Private[uuid.UUID]
    student_id: strawberry.Private[uuid.UUID]
    staff_id: strawberry.Private[uuid.UUID]
    viewer_person_id: strawberry.Private[uuid.UUID]

    @strawberry.field(description="The student it is about.")
    async def student(self, info: Info) -> Person | None:
        return await _person(info, self.student_id)

    @strawberry.field(description="The teacher, class teacher or administrator of the thread.")
    async def staff(self, info: Info) -> Person | None:
        return await _person(info, self.staff_id)

    @strawberry.field(description="Everyone in the thread with their read receipts.")
    async def participants(self, info: Info) -> list[ThreadParticipant]:
        rows = await messages.participants(info.context.session, self.school_id,
                                           self.thread_id)
        return [ThreadParticipant(read_at=r.read_at, name=name, person_id=r.person_id)
                for r, name in rows]

    @strawberry.field(description="The thread's messages, oldest first.")
    async def messages(self, info: Info, first: First = None,
                       after: After = None) -> relay.Connection[ThreadMessage]:
        viewer = self.viewer_person_id
        return await paginate(info.context.session,
                              messages.thread_messages(self.school_id, self.thread_id),
                              keys=messages.MESSAGE_KEYS, first=first, after=after,
                              to_node=lambda r: ThreadMessage.from_model(r, viewer))

    @classmethod
    def from_participant(cls, row: models.MessageParticipant) -> MessageThread:
        t = row.thread
        return cls(id=strawberry.ID(to_global_id("MessageThread", t.id)),
                   created_at=t.created_at, read_at=row.read_at, school_id=t.school_id,
                   thread_id=t.id, student_id=t.student_id, staff_id=t.staff_id,
                   viewer_person_id=row.person_id)


@strawberry.type(description="A class teacher's announcement to the class's students and "
                             "their guardians.")
class Announcement:
    id: strawberry.ID = strawberry.field(description="Global id of the announcement.")
    body: str = strawberry.field(description="The text.")
    created_at: datetime = strawberry.field(description="When it was posted.")
    class_id: strawberry.Private[uuid.UUID]
    author_id: strawberry.Private[uuid.UUID]

    @strawberry.field(name="classId", description="Global id of the SchoolClass it is to.")
    def class_global_id(self) -> strawberry.ID:
        return strawberry.ID(to_global_id("SchoolClass", self.class_id))

    @strawberry.field(description="Who posted it.")
    async def author(self, info: Info) -> Person | None:
        return await _person(info, self.author_id)

    @classmethod
    def from_model(cls, row: models.Announcement) -> Announcement:
        return cls(id=strawberry.ID(to_global_id("Announcement", row.id)), body=row.body,
                   created_at=row.created_at, class_id=row.class_id, author_id=row.author_id)


async def list_threads(info: Info, *, school_id: SchoolIdArg, first: First = None,
                       after: After = None) -> relay.Connection[MessageThread]:
    stmt = messages.threads(info.context.access, school_arg(school_id))
    if stmt is None:
        return empty_connection(first)
    return await paginate(info.context.session, stmt, keys=messages.THREAD_KEYS, first=first,
                          after=after, to_node=MessageThread.from_participant, descending=True)


async def list_announcements(info: Info, *, school_id: SchoolIdArg, first: First = None,
                             after: After = None) -> relay.Connection[Announcement]:
    stmt = messages.announcements(info.context.access, school_arg(school_id))
    if stmt is None:
        return empty_connection(first)
    return await paginate(info.context.session, stmt, keys=messages.ANNOUNCEMENT_KEYS,
                          first=first, after=after, to_node=Announcement.from_model,
                          descending=True)


@strawberry.input(description="A new thread about one student, with its first message. Text "
                              "only: attachments are not accepted.")
class StartMessageThreadInput:
    student_id: strawberry.ID = strawberry.field(description="Global id of the student (Person) "
                                                             "the thread is about.")
    body: str = strawberry.field(description="The first message (1–4000 characters).")
    teacher_id: strawberry.ID | None = strawberry.field(
        default=None, description="Global id of the staff member (Person) written to: required "
                                  "for a guardian or student; empty for staff, who write as "
                                  "themselves.")
    to_student: bool = strawberry.field(
        default=False, description="Staff only: write to the student instead of the student's "
                                   "guardians.")


@strawberry.type(description="Result of `startMessageThread`.")
class StartMessageThreadPayload:
    thread: MessageThread | None = strawberry.field(description="The new thread.")
    errors: list[UserError] = strawberry.field(description="Why nothing was sent.")


@strawberry.input(description="A message to a thread the viewer takes part in. Text only.")
class SendMessageInput:
    thread_id: strawberry.ID = strawberry.field(description="Global id of the MessageThread.")
    body: str = strawberry.field(description="The text (1–4000 characters).")


@strawberry.type(description="Result of `sendMessage`.")
class SendMessagePayload:
    message: ThreadMessage | None = strawberry.field(description="The message as stored.")
    errors: list[UserError] = strawberry.field(description="Why nothing was sent.")


@strawberry.input(description="The thread the viewer has read.")
class MarkThreadReadInput:
    thread_id: strawberry.ID = strawberry.field(description="Global id of the MessageThread.")


@strawberry.type(description="Result of `markThreadRead`.")
class MarkThreadReadPayload:
    thread: MessageThread | None = strawberry.field(description="The thread with the viewer's "
                                                                "new read receipt.")
    errors: list[UserError] = strawberry.field(description="Why nothing changed.")


@strawberry.input(description="An announcement to one class. Text only.")
class PostAnnouncementInput:
    class_id: strawberry.ID = strawberry.field(description="Global id of the SchoolClass.")
    body: str = strawberry.field(description="The text (1–4000 characters).")


@strawberry.type(description="Result of `postAnnouncement`.")
class PostAnnouncementPayload:
    announcement: Announcement | None = strawberry.field(description="As posted.")
    errors: list[UserError] = strawberry.field(description="Why nothing was posted.")


async def _thread_of(info: Info, thread_id: uuid.UUID) -> MessageThread | None:
    me = await messages.own_participation(info.context.session, info.context.access, thread_id)
    return MessageThread.from_participant(me) if me else None


async def start_thread(info: Info, input: Input[StartMessageThreadInput]
                       ) -> StartMessageThreadPayload:
    def request() -> messages.StartRequest:
        return messages.StartRequest(
            student_id=from_global_id(input.student_id, "Person", "input.studentId"),
            teacher_id=None if input.teacher_id is None
            else from_global_id(input.teacher_id, "Person", "input.teacherId"),
            to_student=input.to_student, body=input.body)

    row, errors = await apply(info, lambda: messages.start_thread(
        info.context.session, info.context.access, request(),
        actor=lambda school_id: actor(info, school_id)))
    return StartMessageThreadPayload(
        thread=await _thread_of(info, row.id) if row else None, errors=errors)


async def send_message(info: Info, input: Input[SendMessageInput]) -> SendMessagePayload:
    row, errors = await apply(info, lambda: messages.send(
        info.context.session, info.context.access,
        from_global_id(input.thread_id, "MessageThread", "input.threadId"), input.body,
        actor=lambda school_id: actor(info, school_id)))
    return SendMessagePayload(
        message=ThreadMessage.from_model(row, row.author_id) if row else None, errors=errors)


async def mark_read(info: Info, input: Input[MarkThreadReadInput]) -> MarkThreadReadPayload:
    row, errors = await apply(info, lambda: messages.mark_read(
        info.context.session, info.context.access,
        from_global_id(input.thread_id, "MessageThread", "input.threadId")))
    return MarkThreadReadPayload(
        thread=MessageThread.from_participant(row) if row else None, errors=errors)


async def post_announcement(info: Info, input: Input[PostAnnouncementInput]
                            ) -> PostAnnouncementPayload:
    row, errors = await apply(info, lambda: messages.post_announcement(
        info.context.session, info.context.access,
        from_global_id(input.class_id, "SchoolClass", "input.classId"), input.body,
        actor=lambda school_id: actor(info, school_id)))
    return PostAnnouncementPayload(
        announcement=Announcement.from_model(row) if row else None, errors=errors)


@strawberry.type
class MessagesQuery:
    message_threads: relay.Connection[MessageThread] = strawberry.field(
        resolver=list_threads, permission_classes=[IsAuthenticated],
        description="The viewer's own message threads in a school, newest first. Empty for "
                    "officers, API tokens and a school the viewer does not belong to.")
    announcements: relay.Connection[Announcement] = strawberry.field(
        resolver=list_announcements, permission_classes=[IsAuthenticated],
        description="Announcements the viewer may read in a school, newest first: to the "
                    "classes they or their children are in now, of the classes they lead; all "
                    "of them for an administrator. Empty for officers and API tokens.")


@strawberry.type
class MessagesMutation:
    start_message_thread: StartMessageThreadPayload = strawberry.field(
        resolver=start_thread, permission_classes=[IsAuthenticated],
        description="Start a thread about one student. A guardian writes about their child "
                    "(a student about themselves) to a teacher teaching the child now, the "
                    "class teacher or an administrator; staff write to the guardians (or the "
                    "student) of a student they teach now or whose class they lead. The "
                    "recipients get an email saying only that a message arrived.")
    send_message: SendMessagePayload = strawberry.field(
        resolver=send_message, permission_classes=[IsAuthenticated],
        description="Write to a thread the viewer takes part in (NOT_FOUND otherwise).")
    mark_thread_read: MarkThreadReadPayload = strawberry.field(
        resolver=mark_read, permission_classes=[IsAuthenticated],
        description="Set the viewer's read receipt of a thread to now.")
    post_announcement: PostAnnouncementPayload = strawberry.field(
        resolver=post_announcement, permission_classes=[IsAuthenticated],
        description="Post an announcement to a class: its class teacher only. The class's "
                    "students and their guardians get an email saying only that a message "
                    "arrived.")
