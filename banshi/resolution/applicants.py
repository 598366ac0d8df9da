"""Who a procedure is for: the applicant an item's name is for (个体工商户, 公司, 个人, 单位).

Items named alike but for another applicant (个体工商户注销登记 / 公司注销登记, 个人 / 单位) fit
the same question about as well; which one is meant depends on who the citizen is, not on how
much better one guide's wording fits. When the citizen does not say, the assistant asks.
"""

from __future__ import annotations

from collections.abc import Iterable

# As item names say it, longest first (有限责任公司 before 公司).
APPLICANTS = (
    "有限责任公司",
    "股份有限公司",
    "个体工商户",
    "农民专业合作社",
    "个人",
    "单位",
    "企业",
    "公司",
)
# As citizens say it (个体户, 合作社, 法人 …): any of these in a question says who they are.
APPLICANT_WORDS = ("个人", "单位", "企业", "公司", "个体", "合作社", "法人", "机构", "组织")


def says_who(text: str) -> bool:
    """Whether ``text`` says who the applicant is."""
    return any(word in text for word in APPLICANT_WORDS)


def without_applicant(name: str) -> str:
    """``name`` with its applicant taken out: what it is named for besides who."""
    for word in APPLICANTS:
        name = name.replace(word, "")
    return name


def applicants_in(texts: Iterable[str]) -> set[str]:
    """The applicants ``texts`` name (有限责任公司 is not also 公司)."""
    found: set[str] = set()
    for text in texts:
        for word in APPLICANTS:  # longest first: take each out once found
            if word in text:
                found.add(word)
                text = text.replace(word, "")
    return found
