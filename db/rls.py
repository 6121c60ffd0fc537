"""Row-level security, roles and grants as SQL, applied by the migrations.

Kept as functions of table names so each migration freezes the list it applies to; a catalog
test (tests/db/test_tenancy_catalog.py) fails when a tenant table escapes.
"""

from __future__ import annotations

from db.settings import APP_ROLE, OFFICER_ROLE

FUNCTIONS = """
CREATE OR REPLACE FUNCTION zhurnal_school_ids() RETURNS uuid[]
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT COALESCE(
    string_to_array(NULLIF(current_setting('zhurnal.school_ids', true), ''), ',')::uuid[],
    '{}'::uuid[])
$$;

CREATE OR REPLACE FUNCTION zhurnal_account_id() RETURNS uuid
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT NULLIF(current_setting('zhurnal.account_id', true), '')::uuid
$$;
"""

ROLES = f"""
DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{APP_ROLE}') THEN
    CREATE ROLE {APP_ROLE} LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
  END IF;
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{OFFICER_ROLE}') THEN
    CREATE ROLE {OFFICER_ROLE} NOLOGIN NOSUPERUSER NOBYPASSRLS;
  END IF;
END $$;
GRANT {OFFICER_ROLE} TO {APP_ROLE};
GRANT USAGE ON SCHEMA public TO {APP_ROLE}, {OFFICER_ROLE};
"""


def tenant_policy(table: str) -> str:
    """RLS on `school_id`, enabled and forced, failing closed when no school is set."""
    return f"""
ALTER TABLE {table} ENABLE ROW LEVEL SECURITY;
ALTER TABLE {table} FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON {table} FOR ALL
  USING (school_id = ANY (zhurnal_school_ids()))
  WITH CHECK (school_id = ANY (zhurnal_school_ids()));
"""


# The access context is resolved before any school is set: it may read the viewer's own
# person rows (and their roles) in every school, and nothing else.
SELF_POLICIES = f"""
CREATE POLICY own_person ON persons FOR SELECT TO {APP_ROLE}
  USING (account_id = zhurnal_account_id());
CREATE POLICY own_roles ON person_roles FOR SELECT TO {APP_ROLE}
  USING (EXISTS (SELECT 1 FROM persons p
                 WHERE p.school_id = person_roles.school_id AND p.id = person_roles.person_id
                   AND p.account_id = zhurnal_account_id()));
"""

# The password hash is readable by the login path alone: the application role has no SELECT
# on the column and asks this function, which returns one account's hash by login.
# Migration 0011 replaced it: the login is compared exactly, as db/logins.normalize_login
# gives it (the caller normalises; lower() here disagreed with the rate limit's key).
LOGIN_FUNCTION = f"""
CREATE OR REPLACE FUNCTION zhurnal_login_lookup(p_login text)
RETURNS TABLE (account_id uuid, password_hash text, is_active boolean)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT id, password_hash, is_active FROM accounts WHERE login = lower(p_login)
$$;
REVOKE ALL ON FUNCTION zhurnal_login_lookup(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION zhurnal_login_lookup(text) TO {APP_ROLE};
"""

AUDIT_CHAIN = """
-- Timestamps are hashed in one fixed form (UTC, microseconds), so the chain verifies the same
-- whatever the session's TimeZone or DateStyle.
CREATE OR REPLACE FUNCTION zhurnal_utc_text(ts timestamptz) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT to_char(ts AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')
$$;

CREATE OR REPLACE FUNCTION zhurnal_audit_hash(a audit_log) RETURNS bytea
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT sha256(COALESCE(a.prev_hash, ''::bytea) || convert_to(jsonb_build_object(
    'school_id', a.school_id, 'id', a.id, 'seq', a.seq,
    'occurred_at', zhurnal_utc_text(a.occurred_at),
    'recorded_at', zhurnal_utc_text(a.recorded_at), 'actor_account_id', a.actor_account_id,
    'actor_person_id', a.actor_person_id, 'actor_token_id', a.actor_token_id,
    'action', a.action, 'entity', a.entity, 'entity_id', a.entity_id,
    'before', a.before, 'after', a.after, 'request_id', a.request_id)::text, 'UTF8'))
$$;

CREATE OR REPLACE FUNCTION zhurnal_audit_chain() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  last_seq bigint;
  last_hash bytea;
BEGIN
  -- one writer per school at a time, so every row links to exactly one predecessor
  PERFORM pg_advisory_xact_lock(hashtextextended('zhurnal.audit:' || NEW.school_id::text, 0));
  SELECT seq, hash INTO last_seq, last_hash FROM audit_log
   WHERE school_id = NEW.school_id ORDER BY seq DESC LIMIT 1;
  NEW.seq := COALESCE(last_seq, 0) + 1;
  NEW.prev_hash := last_hash;
  NEW.occurred_at := clock_timestamp();
  NEW.hash := zhurnal_audit_hash(NEW);
  RETURN NEW;
END $$;

CREATE OR REPLACE FUNCTION zhurnal_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP
    USING ERRCODE = 'insufficient_privilege';
END $$;

CREATE TRIGGER audit_chain BEFORE INSERT ON audit_log
  FOR EACH ROW EXECUTE FUNCTION zhurnal_audit_chain();
CREATE TRIGGER audit_append_only BEFORE UPDATE OR DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION zhurnal_append_only();
CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION zhurnal_append_only();
"""


def app_grants(tenant_tables: list[str], global_read: list[str]) -> str:
    """What the application role may do: data tables read-write, the audit log insert-only."""
    writable = [t for t in tenant_tables if t != "audit_log"]
    return f"""
GRANT SELECT, INSERT, UPDATE, DELETE ON {", ".join(writable)} TO {APP_ROLE};
GRANT SELECT, INSERT ON audit_log TO {APP_ROLE};
GRANT SELECT ON {", ".join(global_read)} TO {APP_ROLE};
GRANT SELECT, INSERT, UPDATE ON officer_roles, api_tokens, refresh_tokens TO {APP_ROLE};
GRANT SELECT (id, login, is_active, created_at, last_login_at),
      INSERT (id, login, password_hash, is_active),
      UPDATE (password_hash, is_active, last_login_at) ON accounts TO {APP_ROLE};
"""


# Free text a teacher writes about a student may hold personal data (e.g. a health reason).
OFFICER_HIDDEN_COLUMNS = {
    "marks": ["comment"],
    "grades": ["comment", "deferred_reason"],
    "persons": ["account_id", "external_id", "last_name", "first_name", "middle_name",
                "birth_date", "created_at"],
}


def _grant_columns_except(table: str, role: str, hidden: list[str]) -> str:
    excluded = ", ".join(f"'{c}'" for c in hidden)
    return f"""
DO $$
DECLARE cols text;
BEGIN
  SELECT string_agg(quote_ident(column_name), ', ' ORDER BY ordinal_position) INTO cols
    FROM information_schema.columns
   WHERE table_schema = 'public' AND table_name = '{table}'
     AND column_name NOT IN ({excluded});
  EXECUTE format('GRANT SELECT (%s) ON {table} TO {role}', cols);
END $$;
"""


def officer_grants(tenant_tables: list[str], global_read: list[str]) -> str:
    """Officers' requests run as a role with no privilege on personal data at all."""
    readable = [t for t in tenant_tables if t not in OFFICER_HIDDEN_COLUMNS and t != "audit_log"]
    partial = "".join(
        _grant_columns_except(t, OFFICER_ROLE, cols)
        for t, cols in OFFICER_HIDDEN_COLUMNS.items() if t in tenant_tables
    )
    return f"""
GRANT SELECT ON {", ".join(readable)} TO {OFFICER_ROLE};
GRANT SELECT ON {", ".join(global_read)} TO {OFFICER_ROLE};
{partial}"""


def secure_tenant_table(table: str, *, officer_readable: bool) -> str:
    """RLS and grants for a tenant table added by a later migration."""
    officer = f"GRANT SELECT ON {table} TO {OFFICER_ROLE};" if officer_readable else ""
    return tenant_policy(table) + f"""
GRANT SELECT, INSERT, UPDATE, DELETE ON {table} TO {APP_ROLE};
{officer}
"""


# Diary events: every change of a mark, an attendance entry or a lesson's homework or topic
# is announced on one channel when its transaction commits, so every server process (and
# every subscriber on it) hears writes made through any other process.
DIARY_CHANNEL = "zhurnal_diary"

DIARY_NOTIFY = f"""
CREATE OR REPLACE FUNCTION zhurnal_notify_student_row() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE r record;
BEGIN
  IF TG_OP = 'DELETE' THEN r := OLD; ELSE r := NEW; END IF;
  PERFORM pg_notify('{DIARY_CHANNEL}', json_build_object(
    'school_id', r.school_id, 'entity', TG_TABLE_NAME, 'op', lower(TG_OP), 'id', r.id,
    'student_id', r.student_id, 'lesson_id', r.lesson_id)::text);
  RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION zhurnal_notify_lesson() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('{DIARY_CHANNEL}', json_build_object(
    'school_id', NEW.school_id, 'entity', 'lessons', 'op', lower(TG_OP), 'id', NEW.id,
    'group_id', NEW.group_id)::text);
  RETURN NULL;
END $$;

CREATE TRIGGER diary_marks AFTER INSERT OR UPDATE OR DELETE ON marks
  FOR EACH ROW EXECUTE FUNCTION zhurnal_notify_student_row();
CREATE TRIGGER diary_attendance AFTER INSERT OR UPDATE OR DELETE ON attendance
  FOR EACH ROW EXECUTE FUNCTION zhurnal_notify_student_row();
CREATE TRIGGER diary_lessons AFTER UPDATE OF homework, homework_links, homework_due_on, topic,
  status ON lessons
  FOR EACH ROW WHEN (OLD.* IS DISTINCT FROM NEW.*) EXECUTE FUNCTION zhurnal_notify_lesson();
"""


# Migration 0017: the same notices, now written first to the diary event log (`diary_events`)
# so a subscriber can replay from a cursor; each notice carries its row's cursor and time.
#
# Cursors are handed out in commit order within a school, at commit: the row is written
# without one, and a deferred constraint trigger (run as the transaction commits) takes the
# school's diary lock, numbers the row from the sequence and announces it; the lock is held
# until the commit ends. So when a reader sees cursor N of a school committed, every later
# commit of that school has a cursor above N: "every event after N" misses nothing. Writers of
# one school wait for each other only for the moment of their commits, not for their whole
# transactions (issue 18: writes of one school must not queue). A restore of one school sets
# `zhurnal.restoring` (transaction-local) and brings the log back as it was instead of logging
# its own inserts or renumbering the rows it puts back.
DIARY_EVENT_LOG = f"""
CREATE OR REPLACE FUNCTION zhurnal_log_diary_event(
  p_school uuid, p_entity text, p_op text, p_id uuid, p_student uuid, p_lesson uuid,
  p_group uuid) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  IF current_setting('zhurnal.restoring', true) = 'on' THEN
    RETURN;
  END IF;
  -- no cursor yet: zhurnal_number_diary_event gives it at commit
  INSERT INTO diary_events (school_id, id, entity, op, entity_id, student_id, lesson_id,
                            group_id)
  VALUES (p_school, gen_random_uuid(), p_entity, p_op, p_id, p_student, p_lesson, p_group);
END $$;

CREATE OR REPLACE FUNCTION zhurnal_number_diary_event() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  c bigint;
BEGIN
  IF NEW.cursor IS NOT NULL OR current_setting('zhurnal.restoring', true) = 'on' THEN
    RETURN NULL;
  END IF;
  PERFORM pg_advisory_xact_lock(hashtextextended('zhurnal.diary:' || NEW.school_id::text, 0));
  c := nextval('diary_event_cursor');
  UPDATE diary_events SET cursor = c WHERE school_id = NEW.school_id AND id = NEW.id;
  PERFORM pg_notify('{DIARY_CHANNEL}', json_build_object(
    'school_id', NEW.school_id, 'entity', NEW.entity, 'op', NEW.op, 'id', NEW.entity_id,
    'student_id', NEW.student_id, 'lesson_id', NEW.lesson_id, 'group_id', NEW.group_id,
    'cursor', c, 'at', NEW.created_at)::text);
  RETURN NULL;
END $$;

CREATE CONSTRAINT TRIGGER diary_event_number AFTER INSERT ON diary_events
  DEFERRABLE INITIALLY DEFERRED
  FOR EACH ROW EXECUTE FUNCTION zhurnal_number_diary_event();

CREATE OR REPLACE FUNCTION zhurnal_notify_student_row() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE j jsonb;
BEGIN
  IF TG_OP = 'DELETE' THEN j := to_jsonb(OLD); ELSE j := to_jsonb(NEW); END IF;
  PERFORM zhurnal_log_diary_event(
    (j->>'school_id')::uuid, TG_TABLE_NAME, lower(TG_OP), (j->>'id')::uuid,
    (j->>'student_id')::uuid, (j->>'lesson_id')::uuid, (j->>'group_id')::uuid);
  RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION zhurnal_notify_lesson() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM zhurnal_log_diary_event(NEW.school_id, 'lessons', lower(TG_OP), NEW.id, NULL, NULL,
                                  NEW.group_id);
  RETURN NULL;
END $$;

CREATE TRIGGER diary_grades AFTER INSERT OR UPDATE OR DELETE ON grades
  FOR EACH ROW EXECUTE FUNCTION zhurnal_notify_student_row();
"""

# What 0017's downgrade puts back: the trigger functions of 0003 (notices only, no log).
DIARY_NOTIFY_FUNCTIONS_0003 = DIARY_NOTIFY.split("CREATE TRIGGER", 1)[0]


# Migration 0019: the notification outbox, fed beside the diary event log. Every diary event of
# a student's row (a mark, an attendance entry, a grade; inserted or changed, not deleted) is
# also an outbox row, and so is a lesson whose homework is set or changed. Both are written by
# triggers in the writer's transaction: a rolled-back write leaves nothing, a committed one
# cannot be lost. A restore (`zhurnal.restoring`) queues nothing.
NOTIFICATION_OUTBOX = """
CREATE OR REPLACE FUNCTION zhurnal_outbox_from_event() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF current_setting('zhurnal.restoring', true) = 'on' THEN
    RETURN NULL;
  END IF;
  INSERT INTO notification_outbox (school_id, id, kind, entity, op, entity_id, student_id,
                                   group_id)
  VALUES (NEW.school_id, gen_random_uuid(),
          CASE NEW.entity WHEN 'marks' THEN 'mark' WHEN 'attendance' THEN 'absence'
                          ELSE 'grade' END,
          NEW.entity, NEW.op, NEW.entity_id, NEW.student_id, NEW.group_id);
  RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION zhurnal_outbox_homework() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF current_setting('zhurnal.restoring', true) = 'on' THEN
    RETURN NULL;
  END IF;
  INSERT INTO notification_outbox (school_id, id, kind, entity, op, entity_id, student_id,
                                   group_id)
  VALUES (NEW.school_id, gen_random_uuid(), 'homework', 'lessons', lower(TG_OP), NEW.id, NULL,
          NEW.group_id);
  RETURN NULL;
END $$;

CREATE TRIGGER notification_outbox AFTER INSERT ON diary_events
  FOR EACH ROW WHEN (NEW.entity IN ('marks', 'attendance', 'grades') AND NEW.op <> 'delete')
  EXECUTE FUNCTION zhurnal_outbox_from_event();
CREATE TRIGGER notification_homework AFTER UPDATE OF homework, homework_links, homework_due_on
  ON lessons
  FOR EACH ROW WHEN (COALESCE(NEW.homework, '') <> ''
                     AND (OLD.homework IS DISTINCT FROM NEW.homework
                          OR OLD.homework_links IS DISTINCT FROM NEW.homework_links
                          OR OLD.homework_due_on IS DISTINCT FROM NEW.homework_due_on))
  EXECUTE FUNCTION zhurnal_outbox_homework();
"""
