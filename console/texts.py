"""Every message the console shows staff, in one place (labels sit in the templates)."""

from __future__ import annotations

from datetime import datetime

TITLE = "办事助手 · 工作台"

# ------------------------------------------------------------------ sign-in
LOGIN_WRONG = "用户名或密码不正确。"


def login_wrong_hint(max_failures: int, lock_minutes: int) -> str:
    return f"连续输错 {max_failures} 次密码，账号将锁定 {lock_minutes} 分钟。"


def _clock(when: datetime) -> str:
    return when.strftime("%H:%M")


def login_locked(until: datetime) -> str:
    return f"密码连续输错次数过多，账号已锁定，请于 {_clock(until)} 后再试，或请管理员重置密码。"


def login_throttled(until: datetime) -> str:
    return f"本机登录失败次数过多，请于 {_clock(until)} 后再试。"


LOGIN_DISABLED = "该账号已停用，如有疑问请联系管理员。"
LOGIN_EXPIRED = "登录已超时，请重新登录。"
LOGGED_OUT = "您已安全退出。"
LOGIN_REQUIRED = "请先登录。"
INSECURE_TRANSPORT = (
    "此地址未使用 HTTPS，浏览器不会保存登录状态，无法登录。请通过 https:// 地址访问工作台；"
    "确需在内网用 http 访问的，请管理员按部署说明关闭安全 Cookie。"
)

PASSWORD_MUST_CHANGE = "您正在使用一次性密码，请先设置自己的新密码。"
PASSWORD_MISMATCH = "两次输入的新密码不一致。"
PASSWORD_CHANGED = "密码已修改，其他设备上的登录已退出。"

# ------------------------------------------------------------------ refusals
FORBIDDEN = "您的角色无权打开此页面或执行此操作。如需权限，请联系管理员。"
CSRF_REFUSED = "表单已过期或来源不明，操作未执行。请刷新页面后重试。"
NOT_FOUND = "没有找到这个页面。"
SERVER_ERROR = "系统出了点问题，操作未完成。请稍后重试；如仍不行，请联系管理员。"

# ------------------------------------------------------------------ catalog
SYNC_NOT_AVAILABLE = "此工作台未接入目录同步，请在服务器上运行 banshi catalog sync。"
SYNC_URL_ONLY = "请填写以 http:// 或 https:// 开头的导出文件地址。"


def sync_failed(reason: str) -> str:
    return f"同步失败：{reason}"


SYNC_DONE = "同步已完成，结果如下。"

# ------------------------------------------------------------------ notices
NOTICE_NOT_FOUND = "没有找到这个编号的告知单，请核对编号（如 BS2026000123）。"

# ------------------------------------------------------------------ unanswered / lexicon
WORD_ADDED = "口语词已添加，助手无需重启即可识别。"
WORD_REMOVED = "口语词已停用。"
QUESTIONS_HANDLED = "已标记为处理完毕。"

# ------------------------------------------------------------------ conversations
CONVERSATIONS_NOT_AVAILABLE = "此工作台未接入会话记录。"
CONVERSATION_EMPTY = "没有找到该市民最近的会话。"
REVEALED = "已显示完整内容；本次查看已记入审计日志。"
REVEAL_HINT = (
    "为保护市民隐私，号码等个人信息默认打码；确需核对时可显示完整内容，每次查看都会记入审计日志。"
)

# ------------------------------------------------------------------ staff accounts
STAFF_DISABLED = "账号已停用，其登录已全部退出。"


def staff_added(username: str, otp: str | None) -> str:
    if otp:
        return (
            f"账号 {username} 已创建。一次性密码：{otp}（只显示这一次，请当面交给本人，"
            "首次登录须修改）。"
        )
    return f"账号 {username} 已创建。"


def password_reset(username: str, otp: str) -> str:
    return f"已为 {username} 重置密码。一次性密码：{otp}（只显示这一次，首次登录须修改）。"


# Query-string keys of the confirmations shown after a redirect (post/redirect/get).
DONE = {
    "logout": LOGGED_OUT,
    "password": PASSWORD_CHANGED,
    "word": WORD_ADDED,
    "word_removed": WORD_REMOVED,
    "handled": QUESTIONS_HANDLED,
    "disabled": STAFF_DISABLED,
}

# Dashboard placeholders
OFF = "未开通"
OFF_LINE = "该功能上线后在此显示。"
CARD_FAILED = "暂时无法显示，请稍后刷新。"
