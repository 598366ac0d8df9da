"""calendar and bookings: the working calendar, hall exceptions, booking slots, bookings,
their claims, encrypted drafts and staff policy overrides

Revision ID: 0006
Revises: 0004
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "calendar_year",
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("origin", sa.String(length=20), nullable=False),
        sa.Column("loaded_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("year"),
    )
    op.create_table(
        "calendar_day",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["year"], ["calendar_year.year"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("day"),
    )
    with op.batch_alter_table("calendar_day", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_calendar_day_year"), ["year"], unique=False)
    op.create_table(
        "hall_day",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("hall_code", sa.String(length=40), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("periods", sa.JSON(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("set_by", sa.String(length=64), nullable=False),
        sa.Column("set_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("hall_code", "day"),
    )
    with op.batch_alter_table("hall_day", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_hall_day_day"), ["day"], unique=False)
    op.create_table(
        "booking_slot",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("task_code", sa.String(length=31), nullable=False),
        sa.Column("hall_code", sa.String(length=40), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("start", sa.String(length=5), nullable=False),
        sa.Column("end", sa.String(length=5), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("booked", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("task_code", "hall_code", "day", "start"),
    )
    op.create_table(
        "booking_counter",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("last", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("day"),
    )
    op.create_table(
        "booking",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=40), nullable=False),
        sa.Column("openid", sa.String(length=64), nullable=True),
        sa.Column("task_code", sa.String(length=31), nullable=False),
        sa.Column("item_name", sa.String(length=200), nullable=False),
        sa.Column("hall_code", sa.String(length=40), nullable=False),
        sa.Column("window_no", sa.String(length=20), nullable=False),
        sa.Column("slot_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("start", sa.String(length=5), nullable=False),
        sa.Column("end", sa.String(length=5), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("cancel_reason", sa.String(length=20), nullable=True),
        sa.Column("name_enc", sa.Text(), nullable=True),
        sa.Column("mobile_enc", sa.Text(), nullable=True),
        sa.Column("id_enc", sa.Text(), nullable=True),
        sa.Column("name_masked", sa.String(length=40), nullable=False),
        sa.Column("mobile_masked", sa.String(length=20), nullable=False),
        sa.Column("id_masked", sa.String(length=20), nullable=False),
        sa.Column("id_index", sa.String(length=64), nullable=True),
        sa.Column("companion_name_enc", sa.Text(), nullable=True),
        sa.Column("companion_id_enc", sa.Text(), nullable=True),
        sa.Column("companion_masked", sa.String(length=80), nullable=False),
        sa.Column("reschedules", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("cancelled_at", sa.DateTime(), nullable=True),
        sa.Column("checked_in_at", sa.DateTime(), nullable=True),
        sa.Column("no_show_at", sa.DateTime(), nullable=True),
        sa.Column("reminded_at", sa.DateTime(), nullable=True),
        sa.Column("change_told", sa.String(length=20), nullable=True),
        sa.Column("change_told_at", sa.DateTime(), nullable=True),
        sa.Column("erased_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["slot_id"], ["booking_slot.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("number"),
    )
    with op.batch_alter_table("booking", schema=None) as batch_op:
        batch_op.create_index("ix_booking_day_hall", ["day", "hall_code"], unique=False)
        batch_op.create_index("ix_booking_openid_day", ["openid", "day"], unique=False)
        batch_op.create_index(batch_op.f("ix_booking_task_code"), ["task_code"], unique=False)
        batch_op.create_index(batch_op.f("ix_booking_slot_id"), ["slot_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_booking_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_booking_id_index"), ["id_index"], unique=False)
    op.create_table(
        "booking_claim",
        sa.Column("key", sa.String(length=120), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("booking_id", sa.Integer(), nullable=True),
        sa.Column("day", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(["booking_id"], ["booking.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("key"),
    )
    with op.batch_alter_table("booking_claim", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_booking_claim_booking_id"), ["booking_id"], unique=False
        )
    op.create_table(
        "booking_draft",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("openid", sa.String(length=64), nullable=False),
        sa.Column("name_enc", sa.Text(), nullable=True),
        sa.Column("mobile_enc", sa.Text(), nullable=True),
        sa.Column("id_enc", sa.Text(), nullable=True),
        sa.Column("companion_name_enc", sa.Text(), nullable=True),
        sa.Column("companion_id_enc", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("booking_draft", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_booking_draft_openid"), ["openid"], unique=False)
    op.create_table(
        "booking_policy_override",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("task_code", sa.String(length=31), nullable=False),
        sa.Column("hall_code", sa.String(length=40), nullable=False),
        sa.Column("field", sa.String(length=40), nullable=False),
        sa.Column("value", sa.JSON(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("set_by", sa.String(length=64), nullable=False),
        sa.Column("set_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("task_code", "hall_code", "field"),
    )


def downgrade() -> None:
    op.drop_table("booking_policy_override")
    with op.batch_alter_table("booking_draft", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_booking_draft_openid"))
    op.drop_table("booking_draft")
    with op.batch_alter_table("booking_claim", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_booking_claim_booking_id"))
    op.drop_table("booking_claim")
    with op.batch_alter_table("booking", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_booking_id_index"))
        batch_op.drop_index(batch_op.f("ix_booking_status"))
        batch_op.drop_index(batch_op.f("ix_booking_slot_id"))
        batch_op.drop_index(batch_op.f("ix_booking_task_code"))
        batch_op.drop_index("ix_booking_openid_day")
        batch_op.drop_index("ix_booking_day_hall")
    op.drop_table("booking")
    op.drop_table("booking_counter")
    op.drop_table("booking_slot")
    with op.batch_alter_table("hall_day", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_hall_day_day"))
    op.drop_table("hall_day")
    with op.batch_alter_table("calendar_day", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_calendar_day_year"))
    op.drop_table("calendar_day")
    op.drop_table("calendar_year")
