"""calibrations (per-receiver systematic offsets)

Revision ID: 0005_calibrations
Revises: 0004_reference_transmitters
Create Date: 2026-12-03 19:30:00.000000

"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = '0005_calibrations'
down_revision: str | Sequence[str] | None = '0004_reference_transmitters'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('calibrations',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('status', sa.Enum('active', 'rejected', name='calibration_status', native_enum=False,
                                create_constraint=True, length=16), nullable=False),
    sa.Column('receiver_ids', sa.JSON(), nullable=False),
    sa.Column('quantities', sa.JSON(), nullable=False),
    sa.Column('document', sa.JSON(), nullable=False),
    sa.Column('evidence', sa.JSON(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('rejected_reason', sa.Text(), nullable=True),
    sa.Column('rejected_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_calibrations'))
    )


def downgrade() -> None:
    op.drop_table('calibrations')
