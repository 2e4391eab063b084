"""Returns: the authorized return lines of each order (race-safe: a return's number is
unique per order), what came back of them, and which locations take returns.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-08 02:40:00.000000

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0009'
down_revision: Union[str, Sequence[str], None] = '0008'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table('returns',
    sa.Column('return_id', sa.String(length=80), nullable=False),
    sa.Column('order_id', sa.String(length=64), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.String(length=200), nullable=True),
    sa.Column('location_id', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('actor', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('return_id', name=op.f('pk_returns')),
    sa.UniqueConstraint('order_id', 'number', name=op.f('uq_returns_order_id_number')),
    sa.UniqueConstraint('order_id', 'request_id', name=op.f('uq_returns_order_id_request_id'))
    )
    op.create_index(op.f('ix_returns_location_id'), 'returns', ['location_id'], unique=False)
    op.create_index(op.f('ix_returns_order_id'), 'returns', ['order_id'], unique=False)
    op.create_table('return_lines',
    sa.Column('return_id', sa.String(length=80), nullable=False),
    sa.Column('line_id', sa.String(length=64), nullable=False),
    sa.Column('sku', sa.String(length=64), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.Column('unit_price', sa.String(length=32), nullable=True),
    sa.Column('sellable', sa.Integer(), nullable=False),
    sa.Column('damaged', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['return_id'], ['returns.return_id'], name=op.f('fk_return_lines_return_id_returns')),
    sa.PrimaryKeyConstraint('return_id', 'line_id', name=op.f('pk_return_lines'))
    )
    with op.batch_alter_table('locations') as batch_op:
        batch_op.add_column(
            sa.Column('returns', sa.Boolean(), server_default=sa.true(), nullable=False)
        )


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('locations') as batch_op:
        batch_op.drop_column('returns')
    op.drop_table('return_lines')
    op.drop_index(op.f('ix_returns_order_id'), table_name='returns')
    op.drop_index(op.f('ix_returns_location_id'), table_name='returns')
    op.drop_table('returns')
