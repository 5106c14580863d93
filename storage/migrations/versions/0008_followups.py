"""«Was it fixed?»: followups, the signal's outcome, the answer's reopened_at

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-12 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.types

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'followups',
        sa.Column('answer_id', sa.Integer(), nullable=False),
        sa.Column('signal_id', sa.Integer(), nullable=False),
        sa.Column('ask_on', sa.Date(), nullable=False),
        sa.Column('asked_at', storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column('close_on', sa.Date(), nullable=True),
        sa.Column('resolved_at', storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column('outcome', sa.String(length=16), nullable=True),
        sa.Column('resolved_by', sa.Integer(), nullable=True),
        sa.Column('created_at', storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['answer_id'], ['answers.id'], name=op.f('fk_followups_answer_id_answers'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['signal_id'], ['signals.id'], name=op.f('fk_followups_signal_id_signals'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['resolved_by'], ['users.id'], name=op.f('fk_followups_resolved_by_users'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('answer_id', name=op.f('pk_followups')),
    )
    op.create_index(op.f('ix_followups_signal_id'), 'followups', ['signal_id'], unique=False)
    op.create_index('ix_followups_open', 'followups', ['resolved_at', 'ask_on'], unique=False)
    with op.batch_alter_table('signals') as batch:
        batch.add_column(sa.Column('outcome', sa.String(length=16), nullable=True))
    with op.batch_alter_table('answers') as batch:
        batch.add_column(sa.Column('reopened_at', storage.types.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('answers') as batch:
        batch.drop_column('reopened_at')
    with op.batch_alter_table('signals') as batch:
        batch.drop_column('outcome')
    op.drop_index('ix_followups_open', table_name='followups')
    op.drop_index(op.f('ix_followups_signal_id'), table_name='followups')
    op.drop_table('followups')
