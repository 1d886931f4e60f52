"""captures from real receivers

Revision ID: 0006_captures
Revises: 0005_calibrations
Create Date: 2026-12-03 19:00:00.000000

"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = '0006_captures'
down_revision: str | Sequence[str] | None = '0005_calibrations'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('captures',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('network_id', sa.String(length=36), nullable=True),
    sa.Column('job_id', sa.String(length=36), nullable=True),
    sa.Column('receiver_ids', sa.JSON(), nullable=False),
    sa.Column('targets', sa.JSON(), nullable=False),
    sa.Column('frequency_hz', sa.Float(), nullable=False),
    sa.Column('passband_hz', sa.Float(), nullable=False),
    sa.Column('duration_s', sa.Float(), nullable=False),
    sa.Column('start_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('locate', sa.Boolean(), nullable=False),
    sa.Column('receivers', sa.JSON(), nullable=False),
    sa.Column('recordings', sa.JSON(), nullable=False),
    sa.Column('used_receiver_ids', sa.JSON(), nullable=False),
    sa.Column('excluded', sa.JSON(), nullable=False),
    sa.Column('localization_id', sa.String(length=36), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['job_id'], ['jobs.id'], name=op.f('fk_captures_job_id_jobs'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['localization_id'], ['localizations.id'],
                            name=op.f('fk_captures_localization_id_localizations'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['network_id'], ['networks.id'], name=op.f('fk_captures_network_id_networks'),
                            ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_captures'))
    )
    with op.batch_alter_table('captures', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_captures_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_captures_job_id'), ['job_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_captures_network_id'), ['network_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('captures', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_captures_network_id'))
        batch_op.drop_index(batch_op.f('ix_captures_job_id'))
        batch_op.drop_index(batch_op.f('ix_captures_created_at'))

    op.drop_table('captures')
