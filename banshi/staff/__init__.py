"""Hall staff of the console: accounts and roles, passwords, login throttling, sessions, audit.

Plain Python over SQLAlchemy like the rest of :mod:`banshi`; the web console (``console/``)
and the ``banshi staff`` commands are thin adapters over it. Each concept is one module:
:mod:`~banshi.staff.roles`, :mod:`~banshi.staff.passwords`, :mod:`~banshi.staff.accounts`,
:mod:`~banshi.staff.login`, :mod:`~banshi.staff.sessions`, :mod:`~banshi.staff.audit`; the
tables are in :mod:`~banshi.staff.models`.
"""
