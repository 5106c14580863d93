"""Open311 API keys and the signals they filed

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.types

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'api_keys',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=64), nullable=False),
        sa.Column('key_hash', sa.String(length=64), nullable=False),
        sa.Column('prefix', sa.String(length=12), nullable=False),
        sa.Column('rate_per_minute', sa.Integer(), nullable=False),
        sa.Column('window_start', storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column('window_count', sa.Integer(), nullable=False),
        sa.Column('created_at', storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column('last_used_at', storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column('revoked_at', storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_api_keys')),
        sa.UniqueConstraint('key_hash', name=op.f('uq_api_keys_key_hash')),
        sa.UniqueConstraint('name', name=op.f('uq_api_keys_name')),
    )
    op.create_table(
        'api_filings',
        sa.Column('signal_id', sa.Integer(), nullable=False),
        sa.Column('api_key_id', sa.Integer(), nullable=False),
        sa.Column('token', sa.String(length=43), nullable=False),
        sa.Column('created_at', storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['api_key_id'], ['api_keys.id'], name=op.f('fk_api_filings_api_key_id_api_keys')),
        sa.ForeignKeyConstraint(['signal_id'], ['signals.id'], name=op.f('fk_api_filings_signal_id_signals'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('signal_id', name=op.f('pk_api_filings')),
        sa.UniqueConstraint('token', name=op.f('uq_api_filings_token')),
    )
    op.create_index(op.f('ix_api_filings_api_key_id'), 'api_filings', ['api_key_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_api_filings_api_key_id'), table_name='api_filings')
    op.drop_table('api_filings')
    op.drop_table('api_keys')
