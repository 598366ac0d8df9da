"""Which hall a complaint or suggestion names: "车管所窗口态度太差" → 示范市车辆管理所.

People call halls by short names, not by the export's full ones. A hall is named when its
name without the region (示范市…) appears, or one of the common short names of its kind.
"""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from banshi.models import Hall, Item

# Everyday names of a hall's kind, keyed by a word of its formal name.
SHORT_NAMES: dict[str, tuple[str, ...]] = {
    "车辆管理所": ("车管所", "车管"),
    "出入境": ("出入境",),
    "政务服务中心": ("政务中心", "政务大厅", "市民中心", "行政服务中心", "办事大厅"),
    "不动产登记": ("不动产", "房产交易"),
    "社区事务受理": ("社区事务", "社区服务中心"),
    "婚姻登记": ("婚姻登记处", "婚登处"),
    "社会保险": ("社保中心", "社保局"),
}
_REGION = re.compile(r"^.{1,6}?[省市](.{1,6}?[区县市])?")


def _names(hall: Hall) -> list[str]:
    full = str(hall.name)
    names = [full]
    bare = _REGION.sub("", full)
    if bare and bare != full and len(bare) >= 3:
        names.append(bare)
    for word, shorts in SHORT_NAMES.items():
        if word in full:
            names.extend(shorts)
    return names


def find_hall(session: Session, text: str) -> Hall | None:
    """The hall the text names (the longest name found wins), or None."""
    best: tuple[int, Hall] | None = None
    for hall in session.execute(select(Hall).order_by(Hall.id)).scalars():
        for name in _names(hall):
            if name in text and (best is None or len(name) > best[0]):
                best = (len(name), hall)
    return best[1] if best else None


def describe_concerned(session: Session, item_code: str | None, hall_code: str | None) -> str:
    """What a ticket is about, as the read-back says it: the item's and the hall's names."""
    names = []
    if item_code:
        name = session.execute(select(Item.name).where(Item.task_code == item_code)).scalar()
        if name:
            names.append(str(name))
    if hall_code:
        name = session.execute(select(Hall.name).where(Hall.code == hall_code)).scalar()
        if name:
            names.append(str(name))
    return "，".join(names)
