"""Nearby search and "me too": a (latitude, longitude) index, supporters, duplicate_of

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.types

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'signal_supporters',
        sa.Column('signal_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('created_at', storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['signal_id'], ['signals.id'], name=op.f('fk_signal_supporters_signal_id_signals'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_signal_supporters_user_id_users'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('signal_id', 'user_id', name=op.f('pk_signal_supporters')),
    )
    op.create_index(op.f('ix_signal_supporters_user_id'), 'signal_supporters', ['user_id'], unique=False)
    with op.batch_alter_table('signals') as batch:
        batch.add_column(sa.Column('duplicate_of', sa.Integer(), nullable=True))
        batch.create_foreign_key(op.f('fk_signals_duplicate_of_signals'), 'signals', ['duplicate_of'], ['id'],
                                 ondelete='SET NULL')
    op.create_index('ix_signals_lat_lon', 'signals', ['latitude', 'longitude'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_signals_lat_lon', table_name='signals')
    with op.batch_alter_table('signals') as batch:
        batch.drop_constraint(op.f('fk_signals_duplicate_of_signals'), type_='foreignkey')
        batch.drop_column('duplicate_of')
    op.drop_index(op.f('ix_signal_supporters_user_id'), table_name='signal_supporters')
    op.drop_table('signal_supporters')
