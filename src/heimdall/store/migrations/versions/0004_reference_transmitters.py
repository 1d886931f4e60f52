"""reference transmitters (known emitters for calibration)

Revision ID: 0004_reference_transmitters
Revises: 0003_registered_models
Create Date: 2026-12-03 19:10:00.000000

"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = '0004_reference_transmitters'
down_revision: str | Sequence[str] | None = '0003_registered_models'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('reference_transmitters',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.Enum('time_signal', 'broadcast', 'beacon', 'test', 'other', name='reference_kind',
                              native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('lat', sa.Float(), nullable=False),
    sa.Column('lon', sa.Float(), nullable=False),
    sa.Column('alt_m', sa.Float(), nullable=False),
    sa.Column('frequencies_hz', sa.JSON(), nullable=False),
    sa.Column('eirp_dbm', sa.Float(), nullable=True),
    sa.Column('eirp_sigma_db', sa.Float(), nullable=True),
    sa.Column('position_sigma_m', sa.Float(), nullable=False),
    sa.Column('source', sa.Text(), nullable=False),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('builtin', sa.Boolean(), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reference_transmitters')),
    sa.UniqueConstraint('name', name=op.f('uq_reference_transmitters_name'))
    )


def downgrade() -> None:
    op.drop_table('reference_transmitters')
