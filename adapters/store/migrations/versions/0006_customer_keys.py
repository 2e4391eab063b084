"""Customers' own data keys (wrapped by the payload key ring), for crypto-shredding.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-08 02:00:00.000000

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0006'
down_revision: Union[str, Sequence[str], None] = '0005'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table('customer_keys',
    sa.Column('key_id', sa.String(length=64), nullable=False),
    sa.Column('customer_ref', sa.String(length=64), nullable=False),
    sa.Column('wrapped', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('key_id', name=op.f('pk_customer_keys')),
    sa.UniqueConstraint('customer_ref', name=op.f('uq_customer_keys_customer_ref'))
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table('customer_keys')
