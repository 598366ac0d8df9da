"""Halls as a citizen meets them: the nearest to where they are (a 位置 message), and the one
whose QR code they scanned, each with its opening hours."""

from __future__ import annotations

import math
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from banshi.hours import today_text, weekly_hours_text
from banshi.models import Hall

EARTH_RADIUS_KM = 6371.0

NO_HALLS = "抱歉，暂时查不到政务服务大厅的位置信息。请拨打 12345 政务服务便民热线咨询。"


def _nearest_text(name: str, address: str, phone: str, km: float, hours: str, today: str) -> str:
    lines = [f"离您最近的政务服务大厅是：{name}（直线距离约 {km:.1f} 公里）"]
    if address:
        lines.append(f"地址：{address}")
    if phone:
        lines.append(f"电话：{phone}")
    lines.append(f"开放时间：{hours}")
    if today:
        lines.append(today)
    return "\n".join(lines)


def _scene_text(name: str, hours: str, today: str) -> str:
    """After scanning a hall's QR code (关注 or 扫码): where they are and when it is open."""
    return (
        f"欢迎来到{name}。开放时间：{hours}\n{today}\n"
        "排队时可以先问我要办的事项需要哪些材料，以免白跑一趟。"
    ).strip()


def distance_km(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle distance (haversine). WeChat sends GCJ-02 coordinates; the offset from
    the catalog's coordinates is a few hundred metres at most, irrelevant to 'which is nearest'."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def nearest_hall(session: Session, lat: float, lng: float) -> tuple[Hall, float] | None:
    best: tuple[Hall, float] | None = None
    for hall in session.execute(select(Hall)).scalars():
        try:
            hall_lat, hall_lng = float(hall.lat), float(hall.lng)
        except (TypeError, ValueError):
            continue  # a hall without coordinates in the export
        km = distance_km(lat, lng, hall_lat, hall_lng)
        if best is None or km < best[1]:
            best = (hall, km)
    return best


def nearest_hall_text(session: Session, lat: float, lng: float, today: date | None = None) -> str:
    found = nearest_hall(session, lat, lng)
    if found is None:
        return NO_HALLS
    hall, km = found
    return _nearest_text(
        hall.name,
        hall.address,
        hall.phone,
        km,
        weekly_hours_text(hall),
        today_text(hall, today or date.today()),
    )


def hall_scene_text(session: Session, code: str, today: date | None = None) -> str | None:
    """The welcome for a hall's QR code (scene ``hall_<HALL_CODE>``); None for an unknown hall."""
    hall = session.execute(select(Hall).where(Hall.code == code)).scalar_one_or_none()
    if hall is None:
        return None
    return _scene_text(hall.name, weekly_hours_text(hall), today_text(hall, today or date.today()))
