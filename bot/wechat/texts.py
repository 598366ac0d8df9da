"""Everything the WeChat channel itself says to a citizen (the dialogue's texts are Rasa's).

Written as a careful hall clerk would: complete, polite, short, never an error code.
"""

from __future__ import annotations

WELCOME = (
    "您好，欢迎关注办事助手！\n"
    "我可以帮您查询政务服务事项的办事指南：需要准备哪些材料、办理条件、办理流程、"
    "多久办好、收不收费、在哪里办以及咨询电话。\n"
    "请直接用文字提问，例如“身份证丢了怎么补办”“营业执照要带什么材料”。"
    "点击下方菜单“附近大厅”，可以查看离您最近的政务服务大厅和开放时间。"
)

VOICE_PLEASE_TYPE = (
    "抱歉，我暂时听不清语音消息。请您用文字告诉我想办理的事项，"
    "例如“居住证怎么办理”，我马上为您查询。"
)

IMAGE_RECEIVED = (
    "已收到您发送的图片，谢谢。我目前还看不懂图片内容，请用文字说明您想咨询的事项。"
    "如需提交办事材料，请按办事指南到窗口或网上办理。"
)

LINK_RECEIVED = "已收到您分享的链接，谢谢。请用文字告诉我您想咨询的事项，我来为您查询办事指南。"

UNSUPPORTED = "抱歉，我目前只能处理文字消息。请用文字告诉我您想办理的事项，我来为您查询。"

UNKNOWN_MENU = "抱歉，这个菜单项暂时不可用。请直接用文字告诉我您想办理的事项。"

BUSY = (
    "抱歉，系统暂时繁忙，没能处理您的消息。请稍后再发一次，" "或拨打 12345 政务服务便民热线咨询。"
)

PENDING_PREFIX = "您之前咨询的问题，答复如下：\n"

SCANNED = "您好，欢迎回来！请直接用文字告诉我您想办理的事项，我来为您查询办事指南。"

RATE_LIMITED = (
    "您发送得有些快，请稍等一分钟再继续。这段时间发来的消息可能无法处理，请稍后重新发送。"
)
