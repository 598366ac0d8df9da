"""工单 (issue 16): complaints, reports, suggestions, praise, consultations and requests for help.

Plain Python over SQLAlchemy. One concept per module: :mod:`~banshi.tickets.kinds` (types,
states, allowed moves), :mod:`~banshi.tickets.lifecycle` (filing and every move, with its
history), :mod:`~banshi.tickets.deadlines` (working-day due dates, escalation),
:mod:`~banshi.tickets.replies` and :mod:`~banshi.tickets.outbox` (a reply reaches the citizen
once, by 客服消息, template message or their next message), :mod:`~banshi.tickets.page`
(the reply page), :mod:`~banshi.tickets.desk` (the chat), :mod:`~banshi.tickets.status`
("我的工单"), :mod:`~banshi.tickets.views` (staff reading), :mod:`~banshi.tickets.audit`
(staff actions in the audit log), :mod:`~banshi.tickets.cli` (the ``banshi tickets``
commands); tables in :mod:`~banshi.tickets.models`.
"""
