"""A local stand-in for WeChat: the API side (token, 客服消息, template, menu), the push side
(signed, optionally encrypted pushes with the 5-second timeout and retries) and a browser page
that looks like a WeChat conversation. ``python -m wechat_standin`` serves it.

It judges the assistant by WeChat's rules written out here — its own signatures and AES
(:mod:`~wechat_standin.crypto`), its own table of menu limits (:mod:`~wechat_standin.menu`) —
and imports nothing of the project, so a bug in the channel cannot hide behind the same bug in
the judge. See README.md in this folder.
"""
