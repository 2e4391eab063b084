"""API tokens (a digest per token, its role and location, expiry and revocation), and
the history of changes to locations' settings with the actor who made each, and an
optional picture (image URL) per SKU.

The token itself is never stored. A name is unique among live (unrevoked) tokens only,
so a name can be issued again after its token is revoked. Plain SQLAlchemy types, as in 0001.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 01:10:00.000000

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0004'
down_revision: Union[str, Sequence[str], None] = '0003'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table('api_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('location_id', sa.String(length=64), nullable=True),
    sa.Column('token_digest', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=200), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_tokens')),
    sa.UniqueConstraint('token_digest', name=op.f('uq_api_tokens_token_digest'))
    )
    op.create_index(
        op.f('ix_api_tokens_name'), 'api_tokens', ['name'], unique=True,
        sqlite_where=sa.text('revoked_at IS NULL'),
        postgresql_where=sa.text('revoked_at IS NULL'),
    )
    with op.batch_alter_table('skus') as batch_op:
        batch_op.add_column(sa.Column('image_url', sa.String(length=500), nullable=True))
    op.create_table('location_changes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('location_id', sa.String(length=64), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=200), nullable=False),
    sa.Column('changes', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_location_changes'))
    )
    op.create_index(
        op.f('ix_location_changes_location_id_id'), 'location_changes', ['location_id', 'id'],
        unique=False,
    )


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('skus') as batch_op:
        batch_op.drop_column('image_url')
    op.drop_index(op.f('ix_location_changes_location_id_id'), table_name='location_changes')
    op.drop_table('location_changes')
    op.drop_index(op.f('ix_api_tokens_name'), table_name='api_tokens')
    op.drop_table('api_tokens')
