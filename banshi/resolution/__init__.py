"""Item resolution: which catalog 事项 does the citizen mean, and where will they do it?

A search problem, not an intent per item (Rasa #277, #10593). Each 事项 becomes a small
document (name, aliases from SEARCH_KEYWORDS, situations, result, topic) indexed by jieba
words, character bigrams and pinyin bigrams (:mod:`.features`, :mod:`.index`); the query is
normalised, expanded with the curated lexicon (二手房 → 存量房, 丢了 → 补领) and scored with
BM25 over weighted fields (:mod:`.search`). Siblings (居民身份证首次申领 / 换领 / 补领 / 挂失申报)
are ordered by what the citizen said about the words that set their names apart, and asked
about when nothing did (:mod:`.siblings`). A 事项 implemented by several districts is one
candidate; the place is chosen from the message, the citizen's earlier choice, the hall they
scanned or where they are — or asked (:mod:`.places`). The index follows the catalog, built
off the citizen's turn (:mod:`.resolver`), so an item added by a sync is found without
retraining anything.
"""

from banshi.resolution.index import ItemIndex
from banshi.resolution.places import place_from_text
from banshi.resolution.resolver import Build, Generation, Resolver, ResolverConfig, read_generation
from banshi.resolution.result import Candidate, Decision, PlaceHint, PlaceOption, Resolution
from banshi.resolution.search import with_place
from banshi.resolution.siblings import MIN_SCORE
from banshi.resolution.texts import place_question

__all__ = [
    "MIN_SCORE",
    "Build",
    "Candidate",
    "Decision",
    "Generation",
    "ItemIndex",
    "PlaceHint",
    "PlaceOption",
    "Resolution",
    "Resolver",
    "ResolverConfig",
    "place_from_text",
    "place_question",
    "read_generation",
    "with_place",
]
