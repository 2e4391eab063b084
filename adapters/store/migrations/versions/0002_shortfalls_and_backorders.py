"""Shortfalls and backorders: idempotent short picks, and which SKUs each backordered order waits for.

``shortfalls`` remembers every short pick applied (by its idempotency key), so a retried
report changes nothing; ``backorders`` lets a receipt or count find the orders to wake.
Plain SQLAlchemy types only (no imports from the application), as in 0001.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 03:37:23.238836

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0002'
down_revision: Union[str, Sequence[str], None] = '0001'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table('backorders',
    sa.Column('order_id', sa.String(length=64), nullable=False),
    sa.Column('sku', sa.String(length=64), nullable=False),
    sa.Column('since', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('order_id', 'sku', name=op.f('pk_backorders'))
    )
    op.create_index(op.f('ix_backorders_sku_since'), 'backorders', ['sku', 'since'], unique=False)

    op.create_table('shortfalls',
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('order_id', sa.String(length=64), nullable=False),
    sa.Column('fulfillment_id', sa.String(length=64), nullable=False),
    sa.Column('location_id', sa.String(length=64), nullable=False),
    sa.Column('missing', sa.JSON(), nullable=False),
    sa.Column('actor', sa.String(length=200), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_shortfalls'))
    )
    op.create_index(op.f('ix_shortfalls_order_id'), 'shortfalls', ['order_id'], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index(op.f('ix_shortfalls_order_id'), table_name='shortfalls')
    op.drop_table('shortfalls')
    op.drop_index(op.f('ix_backorders_sku_since'), table_name='backorders')
    op.drop_table('backorders')
