"""The WeChat 公众号 channel: protocol, de-duplication, serialisation, delivery, menu."""
