"""National codes of government service items (GB/T 39554.1-2020, ZWFW C0109.1).

基本编码 (12) = 区划 2 + 事项类型 2 + 主项 5 + 子项 3
实施编码 (31) = 实施主体统一社会信用代码 18 + 行使层级 1 + 基本编码 12
业务办理项编码 (33) = 实施编码 + 2
"""

from __future__ import annotations

import re

# GB/T 39046-2020 A.1
TASK_TYPES = {
    "01": "行政许可",
    "02": "行政处罚",
    "03": "行政强制",
    "04": "行政征收",
    "05": "行政给付",
    "06": "行政检查",
    "07": "行政确认",
    "08": "行政奖励",
    "09": "行政裁决",
    "10": "其他行政权力",
    "20": "公共服务",
}
USE_LEVELS = {
    "1": "国家级",
    "2": "省级",
    "3": "市级",
    "4": "县级",
    "5": "乡镇(街道)级",
    "6": "村级",
}

_CATALOG_CODE = re.compile(r"^\d{12}$")
# 统一社会信用代码: 18 characters of digits and upper-case letters (no I, O, S, V, Z).
_CREDIT_CODE = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{18}$")
_HANDLE_SUFFIX = re.compile(r"^\d{2}$")


def check_catalog_code(code: str, task_type: str) -> str | None:
    """Return why ``code`` is not a valid 基本编码 for ``task_type``, or None when it is."""
    if not _CATALOG_CODE.match(code):
        return f"基本编码 CATALOG_CODE 应为 12 位数字，实际为 {len(code)} 位：{code!r}"
    if code[2:4] != task_type:
        return f"基本编码中的事项类型 {code[2:4]} 与 TASK_TYPE {task_type} 不一致"
    return None


def check_task_code(code: str, catalog_code: str, dept_code: str, use_level: str) -> str | None:
    """Return why ``code`` is not a valid 实施编码, or None when it is."""
    if len(code) != 31:
        return f"实施编码 TASK_CODE 应为 31 位，实际为 {len(code)} 位：{code!r}"
    if not _CREDIT_CODE.match(code[:18]):
        return f"实施编码前 18 位不是统一社会信用代码：{code[:18]!r}"
    if dept_code and code[:18] != dept_code:
        return f"实施编码前 18 位 {code[:18]} 与实施主体编码 DEPT_CODE {dept_code} 不一致"
    if code[18] not in USE_LEVELS:
        return f"实施编码第 19 位行使层级 {code[18]!r} 无效"
    if use_level and code[18] != use_level:
        return f"实施编码中的行使层级 {code[18]} 与 USE_LEVEL {use_level} 不一致"
    if code[19:] != catalog_code:
        return f"实施编码后 12 位 {code[19:]} 与基本编码 CATALOG_CODE {catalog_code} 不一致"
    return None


def check_handle_item_code(code: str, task_code: str) -> str | None:
    """Return why ``code`` is not a valid 业务办理项编码 of ``task_code``, or None."""
    if len(code) != 33 or not code.startswith(task_code) or not _HANDLE_SUFFIX.match(code[31:]):
        return f"业务办理项编码 {code!r} 应为实施编码 {task_code} 加 2 位数字"
    return None
