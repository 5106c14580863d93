"""inbox: poison updates set aside with their error class; the storing instance; queue indexes

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30 02:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.types

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('inbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('failed_at', storage.types.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('error', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('instance', sa.BigInteger(), server_default='0', nullable=False))
    op.create_index('ix_inbox_pending', 'inbox', ['channel', 'peer_id', 'id'], unique=False,
                    sqlite_where=sa.text('handled_at IS NULL'), postgresql_where=sa.text('handled_at IS NULL'))
    op.create_index('ix_inbox_unreplied', 'inbox', ['channel', 'peer_id', 'id'], unique=False,
                    sqlite_where=sa.text('replied_at IS NULL AND replies IS NOT NULL'),
                    postgresql_where=sa.text('replied_at IS NULL AND replies IS NOT NULL'))


def downgrade() -> None:
    op.drop_index('ix_inbox_unreplied', table_name='inbox')
    op.drop_index('ix_inbox_pending', table_name='inbox')
    with op.batch_alter_table('inbox', schema=None) as batch_op:
        batch_op.drop_column('instance')
        batch_op.drop_column('error')
        batch_op.drop_column('failed_at')
