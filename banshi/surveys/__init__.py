"""Demand surveys (群众点菜): staff ask, citizens answer in the chat, staff read the results.

- :mod:`.definition`: what a survey is (question types, display logic, audience).
- :mod:`.loader`: reading and checking a YAML/JSON file, every mistake with its line.
- :mod:`.store`: storing and replacing a survey; ``load_survey_file`` for
  ``banshi surveys load FILE``.
- :mod:`.desk`: :class:`SurveyDesk`, the conversation (a :class:`banshi.conversation.Desk`).
- :mod:`.reading`: reading one reply (numbers, words, ratings, free text).
- :mod:`.responses`: progress in the database, one response per citizen and survey.
- :mod:`.moderation`: flags for abusive or sensitive free text.
- :mod:`.vocabulary` / :mod:`.stopwords`: the words of troubles, and the words that say nothing.
- :mod:`.results` / :mod:`.grouping`: results per question; open answers grouped with keywords.
- :mod:`.exports`: ``surveys_json`` for the CLI, the masked CSV export.
- :mod:`.invitations`: the invitation outbox.
"""
