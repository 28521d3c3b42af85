"""metaverse meetups, RSVPs, calendar feeds and notifications

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26 12:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('meetups',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title_ja', sa.String(length=120), nullable=False),
    sa.Column('title_en', sa.String(length=120), nullable=False),
    sa.Column('description_ja', sa.Text(), nullable=False),
    sa.Column('description_en', sa.Text(), nullable=False),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ends_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('platform', sa.String(length=16), nullable=False),
    sa.Column('join_url', sa.String(length=500), nullable=False),
    sa.Column('capacity', sa.Integer(), nullable=False),
    sa.Column('rsvp_deadline', sa.DateTime(timezone=True), nullable=False),
    sa.Column('cancelled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('sequence', sa.Integer(), nullable=False),
    sa.Column('rsvp_revision', sa.Integer(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('capacity > 0', name=op.f('ck_meetups_capacity_positive')),
    sa.CheckConstraint('ends_at > starts_at', name=op.f('ck_meetups_ends_after_start')),
    sa.ForeignKeyConstraint(['created_by_id'], ['accounts.id'], name=op.f('fk_meetups_created_by_id_accounts'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_meetups'))
    )
    with op.batch_alter_table('meetups', schema=None) as batch_op:
        batch_op.create_index('ix_meetups_starts_at', ['starts_at'], unique=False)

    op.create_table('meetup_rsvps',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('meetup_id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('responded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('promoted_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("status IN ('going', 'waitlisted', 'not_going')", name=op.f('ck_meetup_rsvps_status_known')),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_meetup_rsvps_account_id_accounts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['meetup_id'], ['meetups.id'], name=op.f('fk_meetup_rsvps_meetup_id_meetups'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_meetup_rsvps')),
    sa.UniqueConstraint('meetup_id', 'account_id', name='uq_meetup_rsvps_meetup_id_account_id')
    )
    with op.batch_alter_table('meetup_rsvps', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_meetup_rsvps_account_id'), ['account_id'], unique=False)
        batch_op.create_index('ix_meetup_rsvps_meetup_status_order', ['meetup_id', 'status', 'responded_at', 'id'], unique=False)

    op.create_table('meetup_calendar_feeds',
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('token', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_meetup_calendar_feeds_account_id_accounts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('account_id', name=op.f('pk_meetup_calendar_feeds')),
    sa.UniqueConstraint('token', name=op.f('uq_meetup_calendar_feeds_token'))
    )

    op.create_table('notifications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=64), nullable=False),
    sa.Column('subject', sa.String(length=64), nullable=False),
    sa.Column('dedupe_key', sa.String(length=160), nullable=False),
    sa.Column('message_key', sa.String(length=300), nullable=False),
    sa.Column('params', sa.JSON(), nullable=False),
    sa.Column('link', sa.String(length=300), nullable=True),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('read_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_notifications_account_id_accounts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notifications')),
    sa.UniqueConstraint('account_id', 'dedupe_key', name='uq_notifications_account_id_dedupe_key')
    )
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.create_index('ix_notifications_account_unread', ['account_id', 'read_at', 'due_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_notifications_subject'), ['subject'], unique=False)


def downgrade():
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_notifications_subject'))
        batch_op.drop_index('ix_notifications_account_unread')

    op.drop_table('notifications')
    op.drop_table('meetup_calendar_feeds')
    with op.batch_alter_table('meetup_rsvps', schema=None) as batch_op:
        batch_op.drop_index('ix_meetup_rsvps_meetup_status_order')
        batch_op.drop_index(batch_op.f('ix_meetup_rsvps_account_id'))

    op.drop_table('meetup_rsvps')
    with op.batch_alter_table('meetups', schema=None) as batch_op:
        batch_op.drop_index('ix_meetups_starts_at')

    op.drop_table('meetups')
