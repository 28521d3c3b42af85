"""chain keys: a random anchor id per exchange event, and the anchor key it was anchored under

Revision ID: 0011_chain_keys
Revises: 0010
Create Date: 2026-12-02 10:00:00

"""
import uuid

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011_chain_keys'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('exchange_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('anchor_uid', sa.String(length=36), nullable=True))
        batch_op.add_column(sa.Column('anchor_key', sa.String(length=66), nullable=True))
    # Every existing event gets its own random id, so its anchor key cannot be guessed either.
    events = sa.table('exchange_events', sa.column('id', sa.Integer), sa.column('anchor_uid', sa.String))
    connection = op.get_bind()
    for (event_id,) in connection.execute(sa.select(events.c.id)).all():
        connection.execute(events.update().where(events.c.id == event_id).values(anchor_uid=str(uuid.uuid4())))
    with op.batch_alter_table('exchange_events', schema=None) as batch_op:
        batch_op.alter_column('anchor_uid', existing_type=sa.String(length=36), nullable=False)
        batch_op.create_unique_constraint(batch_op.f('uq_exchange_events_anchor_uid'), ['anchor_uid'])


def downgrade():
    with op.batch_alter_table('exchange_events', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_exchange_events_anchor_uid'), type_='unique')
        batch_op.drop_column('anchor_key')
        batch_op.drop_column('anchor_uid')
