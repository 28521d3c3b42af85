"""audit log: the database refuses to change an entry

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-26 21:00:00

An audit entry, once written, can never be changed: a trigger rejects every UPDATE of
audit_entries, on SQLite and PostgreSQL alike, whoever sends it.

DELETE stays possible at the database level, on purpose. The site offers no way to delete an
entry (no route, no service function), so "append-only from the app's side" holds without it;
and the two legitimate deleters are outside the app: a records-retention purge run by the
database administrator, and the test suite, which empties every table after each test. SQLite
has no session variables a trigger could consult to tell those apart from a stray DELETE, so a
DELETE trigger would have to block them all.

Note for later migrations: SQLite's batch mode (render_as_batch) rebuilds a table it alters, and
the rebuilt table has no triggers. A migration that batch-alters audit_entries must recreate
the trigger (call `create_append_only_guard()` from this module's code, copied).
"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

MESSAGE = "audit_entries is append-only: an audit entry cannot be changed"


def create_append_only_guard():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            f"""
            CREATE OR REPLACE FUNCTION audit_entries_reject_update() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'restrict_violation';
            END
            $$
            """
        )
        op.execute(
            "CREATE TRIGGER audit_entries_no_update BEFORE UPDATE ON audit_entries "
            "FOR EACH ROW EXECUTE FUNCTION audit_entries_reject_update()"
        )
    else:
        op.execute(
            "CREATE TRIGGER audit_entries_no_update BEFORE UPDATE ON audit_entries "
            f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END"
        )


def upgrade():
    create_append_only_guard()


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_entries_no_update ON audit_entries")
        op.execute("DROP FUNCTION IF EXISTS audit_entries_reject_update()")
    else:
        op.execute("DROP TRIGGER IF EXISTS audit_entries_no_update")
