"""What citizens read about the hot issues: the message to those who raised one, the page."""

from __future__ import annotations

NOTICE = "您好！您在《{survey}》中反映的“{title}”问题，{department}已经整改：{action}"
NOTICE_NO_SURVEY = "您好！您反映的“{title}”问题，{department}已经整改：{action}"
NOTICE_LINK = "详情请看：{url}"
NOTICE_THANKS = "感谢您的意见，欢迎继续监督。"
DEFAULT_DEPARTMENT = "相关部门"
# A template message (outside the 48-hour window): short fields (at most 20 characters), the
# page linked.
NOTICE_TEMPLATE_NOTE = "您反映的问题已整改，点击查看详情"

PAGE_TITLE = "群众点菜 政府端菜｜{title}"
PAGE_RAISED = "{raised}位群众反映了这个问题"
PAGE_DEPARTMENT = "责任单位：{department}"
PAGE_ACTION = "整改情况"
PAGE_VOICES = "群众原话（已隐去个人信息）"
PAGE_PUBLISHED = "发布时间：{date}"
PAGE_FOOTER = "感谢每一位提出意见的群众。如对整改情况仍有意见，欢迎在公众号留言。"
