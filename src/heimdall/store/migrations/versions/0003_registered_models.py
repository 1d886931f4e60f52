"""registered models (the model registry)

Revision ID: 0003_registered_models
Revises: 0002_datasets
Create Date: 2026-11-27 13:00:00.000000

"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = '0003_registered_models'
down_revision: str | Sequence[str] | None = '0002_datasets'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('registered_models',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('network_id', sa.String(length=36), nullable=True),
    sa.Column('job_id', sa.String(length=36), nullable=True),
    sa.Column('parent_model_id', sa.String(length=36), nullable=True),
    sa.Column('dataset_ids', sa.JSON(), nullable=False),
    sa.Column('training_config', sa.JSON(), nullable=False),
    sa.Column('layout', sa.JSON(), nullable=False),
    sa.Column('normalization', sa.JSON(), nullable=False),
    sa.Column('metrics', sa.JSON(), nullable=False),
    sa.Column('best_epoch', sa.Integer(), nullable=True),
    sa.Column('origin', sa.JSON(), nullable=True),
    sa.Column('onnx_key', sa.String(length=1024), nullable=False),
    sa.Column('onnx_sha256', sa.String(length=64), nullable=False),
    sa.Column('onnx_bytes', sa.BigInteger(), nullable=False),
    sa.Column('checkpoint_key', sa.String(length=1024), nullable=True),
    sa.Column('checkpoint_sha256', sa.String(length=64), nullable=True),
    sa.Column('checkpoint_bytes', sa.BigInteger(), nullable=True),
    sa.Column('deployed_slot', sa.String(length=200), nullable=True),
    sa.Column('deployed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['job_id'], ['jobs.id'], name=op.f('fk_registered_models_job_id_jobs'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['network_id'], ['networks.id'], name=op.f('fk_registered_models_network_id_networks'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['parent_model_id'], ['registered_models.id'], name=op.f('fk_registered_models_parent_model_id_registered_models'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_registered_models')),
    sa.UniqueConstraint('deployed_slot', name=op.f('uq_registered_models_deployed_slot')),
    sa.UniqueConstraint('job_id', name=op.f('uq_registered_models_job_id'))
    )
    with op.batch_alter_table('registered_models', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_registered_models_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_registered_models_network_id'), ['network_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('registered_models', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_registered_models_network_id'))
        batch_op.drop_index(batch_op.f('ix_registered_models_created_at'))

    op.drop_table('registered_models')
