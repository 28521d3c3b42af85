"""sign-in: single-use nonces and the public-profile opt-in

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-26 13:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('sign_in_nonces',
    sa.Column('nonce', sa.String(length=64), nullable=False),
    sa.Column('address', sa.String(length=42), nullable=False),
    sa.Column('issued_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('nonce', name=op.f('pk_sign_in_nonces'))
    )
    with op.batch_alter_table('sign_in_nonces', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sign_in_nonces_expires_at'), ['expires_at'], unique=False)

    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('profile_public', sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade():
    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.drop_column('profile_public')

    with op.batch_alter_table('sign_in_nonces', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sign_in_nonces_expires_at'))

    op.drop_table('sign_in_nonces')
