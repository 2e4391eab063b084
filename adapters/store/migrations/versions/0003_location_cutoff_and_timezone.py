"""Locations' order cut-off (local time) and time zone, for delivery promises.

Both optional: without a cut-off the promise assumes the default one; without a time
zone it takes the one of the location's ZIP code. Plain SQLAlchemy types, as in 0001.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 04:05:00.000000

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0003'
down_revision: Union[str, Sequence[str], None] = '0002'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table('locations') as batch_op:
        batch_op.add_column(sa.Column('cutoff', sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column('timezone', sa.String(length=64), nullable=True))


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('locations') as batch_op:
        batch_op.drop_column('timezone')
        batch_op.drop_column('cutoff')
