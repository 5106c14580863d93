"""Statistics: the monthly rollup table and an index on the filing time

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-20 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'stats_monthly',
        sa.Column('month', sa.Date(), nullable=False),
        sa.Column('organization_id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('municipality_id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('category_id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('filed', sa.Integer(), nullable=False),
        sa.Column('data', sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint('month', 'organization_id', 'municipality_id', 'category_id',
                                name=op.f('pk_stats_monthly')),
    )
    op.create_index('ix_signals_created_at', 'signals', ['created_at'])


def downgrade() -> None:
    op.drop_index('ix_signals_created_at', table_name='signals')
    op.drop_table('stats_monthly')
