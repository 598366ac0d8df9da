"""The hot-issues list (群众点菜 → 政府端菜): troubles citizens raised, curated and ranked by staff.

- :mod:`.issues`: issues from groups of survey answers; merge, split, rename, assign a
  department, record the action and its status (待办 / 整改中 / 已解决), with an event log.
- :mod:`.ranking`: the list ranked by combined signals (``hot_issues_json`` for the CLI).
- :mod:`.publishing`: publishing a resolution: a frozen page and an outbox of citizens to tell.
- :mod:`.page`: the page's HTML.
"""
