"""indexer state

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26 12:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('indexer_checkpoints',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('chain_id', sa.BigInteger(), nullable=False),
    sa.Column('contract_address', sa.String(length=42), nullable=False),
    sa.Column('start_block', sa.BigInteger(), nullable=False),
    sa.Column('block_number', sa.BigInteger(), nullable=False),
    sa.Column('block_hash', sa.String(length=66), nullable=True),
    sa.Column('head_block', sa.BigInteger(), nullable=True),
    sa.Column('head_seen_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('following', sa.Boolean(), nullable=False),
    sa.Column('poll_seconds', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_indexer_checkpoints')),
    sa.UniqueConstraint('chain_id', name=op.f('uq_indexer_checkpoints_chain_id'))
    )
    op.create_table('card_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('checkpoint_id', sa.Integer(), nullable=False),
    sa.Column('block_number', sa.BigInteger(), nullable=False),
    sa.Column('log_index', sa.Integer(), nullable=False),
    sa.Column('block_hash', sa.String(length=66), nullable=False),
    sa.Column('transaction_hash', sa.String(length=66), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('resident_number', sa.BigInteger(), nullable=False),
    sa.Column('from_address', sa.String(length=42), nullable=True),
    sa.Column('to_address', sa.String(length=42), nullable=True),
    sa.Column('block_time', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['checkpoint_id'], ['indexer_checkpoints.id'], name=op.f('fk_card_events_checkpoint_id_indexer_checkpoints'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_card_events')),
    sa.UniqueConstraint('checkpoint_id', 'block_number', 'log_index', name=op.f('uq_card_events_checkpoint_id'))
    )
    with op.batch_alter_table('card_events', schema=None) as batch_op:
        batch_op.create_index('ix_card_events_checkpoint_id_resident_number', ['checkpoint_id', 'resident_number'], unique=False)

    op.create_table('indexed_blocks',
    sa.Column('checkpoint_id', sa.Integer(), nullable=False),
    sa.Column('block_number', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('block_hash', sa.String(length=66), nullable=False),
    sa.ForeignKeyConstraint(['checkpoint_id'], ['indexer_checkpoints.id'], name=op.f('fk_indexed_blocks_checkpoint_id_indexer_checkpoints'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('checkpoint_id', 'block_number', name=op.f('pk_indexed_blocks'))
    )


def downgrade():
    op.drop_table('indexed_blocks')
    with op.batch_alter_table('card_events', schema=None) as batch_op:
        batch_op.drop_index('ix_card_events_checkpoint_id_resident_number')

    op.drop_table('card_events')
    op.drop_table('indexer_checkpoints')
