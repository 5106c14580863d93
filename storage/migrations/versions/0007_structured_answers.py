"""Structured answers: the answer's kind, promised date, who is competent, brush-off flags

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-10 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('answers') as batch:
        batch.add_column(sa.Column('kind', sa.String(length=16), nullable=True))
        batch.add_column(sa.Column('promised_on', sa.Date(), nullable=True))
        batch.add_column(sa.Column('competent', sa.Text(), nullable=True))
        batch.add_column(sa.Column('flags', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('answers') as batch:
        batch.drop_column('flags')
        batch.drop_column('competent')
        batch.drop_column('promised_on')
        batch.drop_column('kind')
