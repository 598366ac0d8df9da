"""surveys: demand surveys (群众点菜), their responses, answers and invitations; the hot-issues list

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "survey",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("opens", sa.Date(), nullable=False),
        sa.Column("closes", sa.Date(), nullable=False),
        sa.Column("definition", sa.JSON(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "survey_response",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("survey_id", sa.String(length=64), nullable=False),
        sa.Column("openid", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("current", sa.String(length=32), nullable=True),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("completed_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["survey_id"], ["survey.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("survey_id", "openid", name="uq_survey_response_openid"),
    )
    with op.batch_alter_table("survey_response", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_survey_response_openid"), ["openid"], unique=False)
        batch_op.create_index(
            "ix_survey_response_survey_status", ["survey_id", "status"], unique=False
        )
    op.create_table(
        "survey_answer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("response_id", sa.Integer(), nullable=False),
        sa.Column("question", sa.String(length=32), nullable=False),
        sa.Column("choices", sa.JSON(), nullable=True),
        sa.Column("rating", sa.Integer(), nullable=True),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("skipped", sa.Boolean(), nullable=False),
        sa.Column("flag", sa.String(length=12), nullable=True),
        sa.Column("answered_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["response_id"], ["survey_response.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("response_id", "question", name="uq_survey_answer_question"),
    )
    op.create_table(
        "survey_invitation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("survey_id", sa.String(length=64), nullable=False),
        sa.Column("openid", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("delivered_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["survey_id"], ["survey.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("survey_id", "openid", name="uq_survey_invitation_openid"),
    )
    with op.batch_alter_table("survey_invitation", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_survey_invitation_openid"), ["openid"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_survey_invitation_delivered_at"), ["delivered_at"], unique=False
        )
    op.create_table(
        "hot_issue",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("survey_id", sa.String(length=64), nullable=True),
        sa.Column("question", sa.String(length=32), nullable=True),
        sa.Column("department", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("action", sa.Text(), nullable=False),
        sa.Column("keywords", sa.JSON(), nullable=False),
        sa.Column("items", sa.JSON(), nullable=False),
        sa.Column("options", sa.JSON(), nullable=False),
        sa.Column("merged_into", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("resolved_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["survey_id"], ["survey.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["merged_into"], ["hot_issue.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "hot_issue_answer",
        sa.Column("answer_id", sa.Integer(), nullable=False),
        sa.Column("issue_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["answer_id"], ["survey_answer.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["issue_id"], ["hot_issue.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("answer_id"),
    )
    with op.batch_alter_table("hot_issue_answer", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_hot_issue_answer_issue_id"), ["issue_id"], unique=False
        )
    op.create_table(
        "hot_issue_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("issue_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("staff", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["issue_id"], ["hot_issue.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("hot_issue_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_hot_issue_event_issue_id"), ["issue_id"], unique=False)
    op.create_table(
        "hot_issue_page",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("issue_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=20), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("department", sa.String(length=200), nullable=False),
        sa.Column("action", sa.Text(), nullable=False),
        sa.Column("raised", sa.Integer(), nullable=False),
        sa.Column("quotes", sa.JSON(), nullable=False),
        sa.Column("published_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["issue_id"], ["hot_issue.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("issue_id"),
        sa.UniqueConstraint("number"),
    )
    op.create_table(
        "hot_issue_notice",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("issue_id", sa.Integer(), nullable=False),
        sa.Column("openid", sa.String(length=64), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("delivered_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["issue_id"], ["hot_issue.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("issue_id", "openid", name="uq_hot_issue_notice_openid"),
    )
    with op.batch_alter_table("hot_issue_notice", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_hot_issue_notice_openid"), ["openid"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_hot_issue_notice_delivered_at"), ["delivered_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("hot_issue_notice", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_hot_issue_notice_delivered_at"))
        batch_op.drop_index(batch_op.f("ix_hot_issue_notice_openid"))
    op.drop_table("hot_issue_notice")
    op.drop_table("hot_issue_page")
    with op.batch_alter_table("hot_issue_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_hot_issue_event_issue_id"))
    op.drop_table("hot_issue_event")
    with op.batch_alter_table("hot_issue_answer", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_hot_issue_answer_issue_id"))
    op.drop_table("hot_issue_answer")
    op.drop_table("hot_issue")
    with op.batch_alter_table("survey_invitation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_survey_invitation_delivered_at"))
        batch_op.drop_index(batch_op.f("ix_survey_invitation_openid"))
    op.drop_table("survey_invitation")
    op.drop_table("survey_answer")
    with op.batch_alter_table("survey_response", schema=None) as batch_op:
        batch_op.drop_index("ix_survey_response_survey_status")
        batch_op.drop_index(batch_op.f("ix_survey_response_openid"))
    op.drop_table("survey_response")
    op.drop_table("survey")
