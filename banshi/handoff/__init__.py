"""转人工 (issue 16): a person takes the conversation during service hours, the bot stays silent
meanwhile; outside hours, or when nobody takes it in time, the question becomes a 咨询 ticket.

Modules: :mod:`~banshi.handoff.service` (what the runner, the channel and staff pages call),
:mod:`~banshi.handoff.inbox` (reading handoffs for the staff inbox),
:mod:`~banshi.handoff.live` (staff pages waiting for the next line: versions, notifier),
:mod:`~banshi.handoff.hours` (service hours on the working calendar),
:mod:`~banshi.handoff.states`, :mod:`~banshi.handoff.config`; tables in
:mod:`~banshi.handoff.models`.
"""
