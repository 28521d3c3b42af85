"""sessions: server-side session records, the issued sign-in text, walk-ins at exchange events

Revision ID: 0012_sessions
Revises: 0011_chain_keys
Create Date: 2026-12-01 10:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012_sessions'
down_revision = '0011_chain_keys'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('account_sessions',
    sa.Column('token_sha256', sa.String(length=64), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('method', sa.String(length=16), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_account_sessions_account_id_accounts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('token_sha256', name=op.f('pk_account_sessions'))
    )
    with op.batch_alter_table('account_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_account_sessions_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_account_sessions_expires_at'), ['expires_at'], unique=False)

    # Nonces live five minutes; one issued before the upgrade has no text to compare with.
    op.execute(sa.text('DELETE FROM sign_in_nonces'))
    with op.batch_alter_table('sign_in_nonces', schema=None) as batch_op:
        batch_op.add_column(sa.Column('message_sha256', sa.String(length=64), nullable=False, server_default=''))
    with op.batch_alter_table('sign_in_nonces', schema=None) as batch_op:
        batch_op.alter_column('message_sha256', server_default=None)

    with op.batch_alter_table('exchange_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('walk_ins', sa.Boolean(), server_default=sa.false(), nullable=False))
    with op.batch_alter_table('exchange_check_ins', schema=None) as batch_op:
        batch_op.add_column(sa.Column('walk_in', sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade():
    with op.batch_alter_table('exchange_check_ins', schema=None) as batch_op:
        batch_op.drop_column('walk_in')
    with op.batch_alter_table('exchange_events', schema=None) as batch_op:
        batch_op.drop_column('walk_ins')
    with op.batch_alter_table('sign_in_nonces', schema=None) as batch_op:
        batch_op.drop_column('message_sha256')

    with op.batch_alter_table('account_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_account_sessions_expires_at'))
        batch_op.drop_index(batch_op.f('ix_account_sessions_account_id'))

    op.drop_table('account_sessions')
