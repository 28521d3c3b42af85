"""card thumbnails: a small rendition of each issued card, shown beside forum posts

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-26 13:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('issued_cards', schema=None) as batch_op:
        batch_op.add_column(sa.Column('thumbnail_cid', sa.String(length=64), nullable=True))


def downgrade():
    with op.batch_alter_table('issued_cards', schema=None) as batch_op:
        batch_op.drop_column('thumbnail_cid')
