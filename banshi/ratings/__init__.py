"""好差评 (issue 16): one invitation per service that ended, five levels stored by name, every
差评 followed up (核实 → 整改 → 反馈), mistaken or malicious ratings set aside, never deleted.

Modules: :mod:`~banshi.ratings.levels`, :mod:`~banshi.ratings.services`,
:mod:`~banshi.ratings.invitations`, :mod:`~banshi.ratings.recording`,
:mod:`~banshi.ratings.followup`, :mod:`~banshi.ratings.review`, :mod:`~banshi.ratings.board`
(reviewers' figures and the 差评 board), :mod:`~banshi.ratings.desk`,
:mod:`~banshi.ratings.cli`; tables in :mod:`~banshi.ratings.models`.
"""
