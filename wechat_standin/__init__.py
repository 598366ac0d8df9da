"""A local stand-in for WeChat: the API side (token, 客服消息, template, menu), the push side
(signed, optionally encrypted pushes with the 5-second timeout and retries) and a browser page
that looks like a WeChat conversation. ``python -m wechat_standin`` serves it."""
