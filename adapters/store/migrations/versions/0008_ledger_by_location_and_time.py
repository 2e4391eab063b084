"""The ledger by location and time: a location's latest movements across its SKUs and
what it shipped today (the console's stock page and "done today" list) read an index
range instead of the location's whole history.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-08 02:10:00.000000

"""
from typing import Sequence, Union

from alembic import op


# revision identifiers, used by Alembic.
revision: str = '0008'
down_revision: Union[str, Sequence[str], None] = '0007'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_index(op.f('ix_ledger_location_id_at'), 'ledger', ['location_id', 'at'], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index(op.f('ix_ledger_location_id_at'), table_name='ledger')
