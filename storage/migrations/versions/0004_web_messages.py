"""web chat transcript

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.types

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'web_messages',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('peer_id', sa.BigInteger(), nullable=False),
        sa.Column('direction', sa.String(length=3), nullable=False),
        sa.Column('payload', sa.JSON(), nullable=False),
        sa.Column('dedupe_key', sa.String(length=96), nullable=True),
        sa.Column('created_at', storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_web_messages')),
        sa.UniqueConstraint('dedupe_key', name=op.f('uq_web_messages_dedupe_key')),
        sqlite_autoincrement=True,
    )
    op.create_index('ix_web_messages_peer', 'web_messages', ['peer_id', 'id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_web_messages_peer', table_name='web_messages')
    op.drop_table('web_messages')
