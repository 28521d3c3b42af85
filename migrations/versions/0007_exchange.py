"""exchange events

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26 12:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('exchange_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title_ja', sa.String(length=120), nullable=False),
    sa.Column('title_en', sa.String(length=120), nullable=False),
    sa.Column('description_ja', sa.Text(), nullable=False),
    sa.Column('description_en', sa.Text(), nullable=False),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ends_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('registration_deadline', sa.DateTime(timezone=True), nullable=False),
    sa.Column('place_name', sa.String(length=120), nullable=False),
    sa.Column('place_address', sa.String(length=200), nullable=False),
    sa.Column('latitude', sa.Numeric(precision=10, scale=7), nullable=True),
    sa.Column('longitude', sa.Numeric(precision=10, scale=7), nullable=True),
    sa.Column('capacity', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('roster_version', sa.Integer(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('attendance_root', sa.String(length=66), nullable=True),
    sa.Column('attendee_count', sa.Integer(), nullable=True),
    sa.Column('anchor_transaction', sa.String(length=66), nullable=True),
    sa.Column('anchor_chain_id', sa.BigInteger(), nullable=True),
    sa.Column('anchor_contract', sa.String(length=42), nullable=True),
    sa.Column('anchored_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['accounts.id'], name=op.f('fk_exchange_events_created_by_id_accounts'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_exchange_events'))
    )
    op.create_table('exchange_check_ins',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('address', sa.String(length=42), nullable=False),
    sa.Column('resident_number', sa.BigInteger(), nullable=False),
    sa.Column('method', sa.String(length=8), nullable=False),
    sa.Column('evidence', sa.Text(), nullable=False),
    sa.Column('kiosk_code', sa.String(length=66), nullable=True),
    sa.Column('issued_at', sa.BigInteger(), nullable=True),
    sa.Column('scanned_by_id', sa.Integer(), nullable=True),
    sa.Column('checked_in_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['exchange_events.id'], name=op.f('fk_exchange_check_ins_event_id_exchange_events'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['scanned_by_id'], ['accounts.id'], name=op.f('fk_exchange_check_ins_scanned_by_id_accounts'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_exchange_check_ins')),
    sa.UniqueConstraint('event_id', 'address', name='uq_exchange_check_ins_event_address')
    )
    with op.batch_alter_table('exchange_check_ins', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_exchange_check_ins_address'), ['address'], unique=False)
        batch_op.create_index(batch_op.f('ix_exchange_check_ins_event_id'), ['event_id'], unique=False)

    op.create_table('exchange_registrations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('queued_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_exchange_registrations_account_id_accounts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['event_id'], ['exchange_events.id'], name=op.f('fk_exchange_registrations_event_id_exchange_events'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_exchange_registrations')),
    sa.UniqueConstraint('event_id', 'account_id', name='uq_exchange_registrations_event_account')
    )
    with op.batch_alter_table('exchange_registrations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_exchange_registrations_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_exchange_registrations_event_id'), ['event_id'], unique=False)


def downgrade():
    with op.batch_alter_table('exchange_registrations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_exchange_registrations_event_id'))
        batch_op.drop_index(batch_op.f('ix_exchange_registrations_account_id'))

    op.drop_table('exchange_registrations')
    with op.batch_alter_table('exchange_check_ins', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_exchange_check_ins_event_id'))
        batch_op.drop_index(batch_op.f('ix_exchange_check_ins_address'))

    op.drop_table('exchange_check_ins')
    op.drop_table('exchange_events')
