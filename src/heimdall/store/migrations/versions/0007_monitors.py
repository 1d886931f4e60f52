"""monitors, their transmissions, fixes and exclusions; localizations name their monitor

Revision ID: 0007_monitors
Revises: 0006_captures
Create Date: 2026-12-03 19:00:00.000000

"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = '0007_monitors'
down_revision: str | Sequence[str] | None = '0006_captures'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _id(name: str, nullable: bool = False) -> sa.Column[str]:
    return sa.Column(name, sa.String(length=36), nullable=nullable)


def _monitor_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(['monitor_id'], ['monitors.id'], name=op.f(f'fk_{table}_monitor_id_monitors'),
                                   ondelete='CASCADE')


def upgrade() -> None:
    op.create_table('monitors',
    _id('id'),
    sa.Column('name', sa.String(length=200), nullable=False),
    _id('network_id', True),
    sa.Column('config', sa.JSON(), nullable=False),
    _id('job_id', True),
    sa.Column('receivers', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['job_id'], ['jobs.id'], name=op.f('fk_monitors_job_id_jobs'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['network_id'], ['networks.id'], name=op.f('fk_monitors_network_id_networks'),
                            ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_monitors'))
    )
    with op.batch_alter_table('monitors', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_monitors_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_monitors_job_id'), ['job_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_monitors_network_id'), ['network_id'], unique=False)

    op.create_table('monitor_transmissions',
    _id('id'),
    _id('monitor_id'),
    sa.Column('frequency_hz', sa.Float(), nullable=False),
    sa.Column('start', sa.DateTime(timezone=True), nullable=False),
    sa.Column('end', sa.DateTime(timezone=True), nullable=False),
    sa.Column('receiver_ids', sa.JSON(), nullable=False),
    _id('localization_id', True),
    _id('track_id', True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    _monitor_fk('monitor_transmissions'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_monitor_transmissions'))
    )
    with op.batch_alter_table('monitor_transmissions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_monitor_transmissions_monitor_id'), ['monitor_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_monitor_transmissions_start'), ['start'], unique=False)

    op.create_table('monitor_fixes',
    _id('localization_id'),
    _id('monitor_id'),
    _id('transmission_id'),
    _id('track_id'),
    sa.Column('frequency_hz', sa.Float(), nullable=False),
    sa.Column('time_s', sa.Float(), nullable=False),
    sa.Column('lat', sa.Float(), nullable=False),
    sa.Column('lon', sa.Float(), nullable=False),
    sa.Column('covariance_enu_m2', sa.JSON(), nullable=False),
    sa.Column('request', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    _monitor_fk('monitor_fixes'),
    sa.PrimaryKeyConstraint('localization_id', name=op.f('pk_monitor_fixes'))
    )
    with op.batch_alter_table('monitor_fixes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_monitor_fixes_monitor_id'), ['monitor_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_monitor_fixes_track_id'), ['track_id'], unique=False)

    op.create_table('monitor_exclusions',
    _id('id'),
    _id('monitor_id'),
    _id('localization_id'),
    _id('receiver_id', True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('relocated', sa.JSON(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    _monitor_fk('monitor_exclusions'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_monitor_exclusions'))
    )
    with op.batch_alter_table('monitor_exclusions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_monitor_exclusions_monitor_id'), ['monitor_id'], unique=False)

    with op.batch_alter_table('localizations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('monitor_id', sa.String(length=36), nullable=True))
        batch_op.create_index(batch_op.f('ix_localizations_monitor_id'), ['monitor_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('localizations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_localizations_monitor_id'))
        batch_op.drop_column('monitor_id')
    for table in ('monitor_exclusions', 'monitor_fixes', 'monitor_transmissions', 'monitors'):
        op.drop_table(table)
