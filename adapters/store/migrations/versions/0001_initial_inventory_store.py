"""Initial inventory store: catalogue, locations, stock, reservations, ledger, allocations, meta.

Written out with plain SQLAlchemy types (no imports from the application) so that later
changes to the models never change what this revision does.

Revision ID: 0001
Revises: 
Create Date: 2026-11-25 03:10:01.430287

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0001'
down_revision: Union[str, Sequence[str], None] = None
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table('allocations',
    sa.Column('allocation_key', sa.String(length=200), nullable=False),
    sa.Column('order_id', sa.String(length=64), nullable=False),
    sa.Column('decision_json', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('allocation_key', name=op.f('pk_allocations'))
    )
    op.create_index(op.f('ix_allocations_order_id'), 'allocations', ['order_id'], unique=False)

    op.create_table('ledger',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('location_id', sa.String(length=64), nullable=False),
    sa.Column('sku', sa.String(length=64), nullable=False),
    sa.Column('on_hand_delta', sa.Integer(), nullable=False),
    sa.Column('reserved_delta', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(), nullable=False),
    sa.Column('reference', sa.String(length=200), nullable=True),
    sa.Column('actor', sa.String(length=200), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ledger'))
    )
    op.create_index(op.f('ix_ledger_location_id_sku_id'), 'ledger', ['location_id', 'sku', 'id'], unique=False)

    op.create_table('locations',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('postal_code', sa.String(length=16), nullable=True),
    sa.Column('lat', sa.Float(), nullable=True),
    sa.Column('lon', sa.Float(), nullable=True),
    sa.Column('adapter', sa.JSON(), nullable=False),
    sa.Column('handling_cost', sa.Float(), nullable=True),
    sa.Column('safety_stock', sa.Integer(), nullable=True),
    sa.Column('daily_capacity', sa.Integer(), nullable=True),
    sa.Column('priority', sa.Integer(), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('pickup', sa.Boolean(), nullable=False),
    sa.Column('sla', sa.JSON(), nullable=True),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_locations'))
    )
    op.create_table('meta',
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('value', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_meta'))
    )
    op.create_table('reservations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.String(length=64), nullable=False),
    sa.Column('fulfillment_id', sa.String(length=64), nullable=False),
    sa.Column('sku', sa.String(length=64), nullable=False),
    sa.Column('location_id', sa.String(length=64), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('allocation_key', sa.String(length=200), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reservations')),
    sa.UniqueConstraint('order_id', 'fulfillment_id', 'sku', name=op.f('uq_reservations_order_id_fulfillment_id_sku'))
    )
    op.create_index(op.f('ix_reservations_location_id_created_at'), 'reservations', ['location_id', 'created_at'], unique=False)
    op.create_index(op.f('ix_reservations_order_id'), 'reservations', ['order_id'], unique=False)
    op.create_index(op.f('ix_reservations_status'), 'reservations', ['status'], unique=False)

    op.create_table('skus',
    sa.Column('sku', sa.String(length=64), nullable=False),
    sa.Column('weight_lb', sa.Float(), nullable=False),
    sa.Column('name', sa.String(), nullable=True),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('sku', name=op.f('pk_skus'))
    )
    op.create_table('stock_levels',
    sa.Column('location_id', sa.String(length=64), nullable=False),
    sa.Column('sku', sa.String(length=64), nullable=False),
    sa.Column('on_hand', sa.Integer(), nullable=False),
    sa.Column('reserved', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('on_hand >= reserved', name=op.f('ck_stock_levels_reserved_within_on_hand')),
    sa.CheckConstraint('reserved >= 0', name=op.f('ck_stock_levels_reserved_not_negative')),
    sa.ForeignKeyConstraint(['location_id'], ['locations.id'], name=op.f('fk_stock_levels_location_id_locations')),
    sa.ForeignKeyConstraint(['sku'], ['skus.sku'], name=op.f('fk_stock_levels_sku_skus')),
    sa.PrimaryKeyConstraint('location_id', 'sku', name=op.f('pk_stock_levels'))
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table('stock_levels')
    op.drop_table('skus')
    op.drop_index(op.f('ix_reservations_status'), table_name='reservations')
    op.drop_index(op.f('ix_reservations_order_id'), table_name='reservations')
    op.drop_index(op.f('ix_reservations_location_id_created_at'), table_name='reservations')

    op.drop_table('reservations')
    op.drop_table('meta')
    op.drop_table('locations')
    op.drop_index(op.f('ix_ledger_location_id_sku_id'), table_name='ledger')

    op.drop_table('ledger')
    op.drop_index(op.f('ix_allocations_order_id'), table_name='allocations')

    op.drop_table('allocations')
