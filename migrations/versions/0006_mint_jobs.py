"""mint jobs

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26 12:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('mint_jobs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('source', sa.String(length=512), nullable=False),
    sa.Column('chain_id', sa.BigInteger(), nullable=False),
    sa.Column('contract_address', sa.String(length=42), nullable=False),
    sa.Column('skipped', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mint_jobs')),
    sa.UniqueConstraint('key', name=op.f('uq_mint_jobs_key'))
    )
    op.create_table('mint_job_residents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('job_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('line', sa.Integer(), nullable=False),
    sa.Column('address', sa.String(length=42), nullable=False),
    sa.Column('display_name', sa.String(length=200), nullable=False),
    sa.Column('issued_on', sa.Date(), nullable=False),
    sa.Column('batch', sa.String(length=64), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('resident_number', sa.BigInteger(), nullable=True),
    sa.Column('image_cid', sa.String(length=64), nullable=True),
    sa.Column('metadata_cid', sa.String(length=64), nullable=True),
    sa.Column('transaction_hash', sa.String(length=66), nullable=True),
    sa.Column('block_number', sa.BigInteger(), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['job_id'], ['mint_jobs.id'], name=op.f('fk_mint_job_residents_job_id_mint_jobs'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mint_job_residents')),
    sa.UniqueConstraint('job_id', 'address', name='uq_mint_job_residents_job_id_address')
    )
    with op.batch_alter_table('mint_job_residents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mint_job_residents_job_id'), ['job_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_mint_job_residents_state'), ['state'], unique=False)

    op.create_table('issued_cards',
    sa.Column('resident_number', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('image_cid', sa.String(length=64), nullable=False),
    sa.Column('metadata_cid', sa.String(length=64), nullable=False),
    sa.Column('display_name', sa.String(length=200), nullable=False),
    sa.Column('issued_on', sa.Date(), nullable=False),
    sa.Column('batch', sa.String(length=64), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('resident_number', name=op.f('pk_issued_cards'))
    )


def downgrade():
    op.drop_table('issued_cards')
    with op.batch_alter_table('mint_job_residents', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mint_job_residents_state'))
        batch_op.drop_index(batch_op.f('ix_mint_job_residents_job_id'))

    op.drop_table('mint_job_residents')
    op.drop_table('mint_jobs')
