"""A blind index of customers' names and e-mails (keyed hashes of 3-character pieces).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-08 02:30:00.000000

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0007'
down_revision: Union[str, Sequence[str], None] = '0006'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table('customer_terms',
    sa.Column('key_id', sa.String(length=64), nullable=False),
    sa.Column('term', sa.String(length=32), nullable=False),
    sa.PrimaryKeyConstraint('key_id', 'term', name=op.f('pk_customer_terms'))
    )
    op.create_index(op.f('ix_customer_terms_term'), 'customer_terms', ['term'], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index(op.f('ix_customer_terms_term'), table_name='customer_terms')
    op.drop_table('customer_terms')
