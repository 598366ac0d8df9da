"""The Chinese tokenizer: no HMM, no whitespace tokens, and a fingerprint of its dictionary."""

from __future__ import annotations

from pathlib import Path

import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.training_data.message import Message

from bot.components import BanshiJiebaTokenizer


def make_tokenizer(tmp_path: Path, dictionary: Path | None) -> BanshiJiebaTokenizer:
    config = {
        **BanshiJiebaTokenizer.get_default_config(),
        "dictionary_path": str(dictionary) if dictionary else None,
    }
    return BanshiJiebaTokenizer.create(
        config,
        LocalModelStorage(tmp_path / "storage"),
        Resource("tokenizer"),
        ExecutionContext(GraphSchema({}), "test"),
    )


def words(tokenizer: BanshiJiebaTokenizer, text: str) -> list[str]:
    return [t.text for t in tokenizer.tokenize(Message(data={"text": text}), "text")]


def test_whitespace_is_dropped_and_offsets_kept(tmp_path: Path) -> None:
    tokenizer = make_tokenizer(tmp_path, None)
    tokens = tokenizer.tokenize(Message(data={"text": "护照  在哪 办"}), "text")
    assert all(t.text.strip() for t in tokens)
    assert [(t.text, t.start) for t in tokens][0] == ("护照", 0)


def test_no_hmm_glue_and_dictionary_words_stay_whole(tmp_path: Path) -> None:
    directory = tmp_path / "jieba"
    directory.mkdir()
    (directory / "banshi_userdict.txt").write_text("一窗受理 2000 n\n", encoding="utf-8")
    tokenizer = make_tokenizer(tmp_path, directory)
    assert "一窗受理" in words(tokenizer, "一窗受理在哪")
    # With HMM, jieba glues unknown neighbours such as "9点办"; without it they stay apart.
    assert "点办" not in words(tokenizer, "明天9点办护照")


def test_fingerprint_follows_the_dictionary_contents(tmp_path: Path) -> None:
    directory = tmp_path / "jieba"
    directory.mkdir()
    (directory / "banshi_userdict.txt").write_text("护照 2000 n\n", encoding="utf-8")
    config = {"dictionary_path": str(directory)}
    before = BanshiJiebaTokenizer.fingerprint_addon(config)
    assert BanshiJiebaTokenizer.fingerprint_addon(config) == before
    (directory / "banshi_userdict.txt").write_text("护照 2000 n\n港澳通行证 2000 n\n")
    assert BanshiJiebaTokenizer.fingerprint_addon(config) != before


def test_a_missing_dictionary_directory_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="dictionary directory"):
        make_tokenizer(tmp_path, tmp_path / "nowhere")


def test_novelty_marks_catalog_familiar_and_novel_words_and_survives_a_reload(
    tmp_path: Path,
) -> None:
    from rasa.shared.nlu.training_data.training_data import TrainingData

    from bot.components import NoveltyFeaturizer

    directory = tmp_path / "jieba"
    directory.mkdir()
    (directory / "banshi_userdict.txt").write_text("护照 2000 n\n", encoding="utf-8")
    tokenizer = make_tokenizer(tmp_path, directory)
    examples = [
        Message(data={"text": text, "intent": "ask_materials"})
        for text in ["护照要带什么材料", "身份证要带什么材料", "户口本要带什么材料", "天气"]
    ] + [
        Message(data={"text": text, "intent": "out_of_scope"})
        for text in ["黑洞是什么", "黑洞有多大"]
    ]
    data = tokenizer.process_training_data(TrainingData(examples))
    (tmp_path / "storage").mkdir(exist_ok=True)
    storage, resource = LocalModelStorage(tmp_path / "storage"), Resource("novelty")
    context = ExecutionContext(GraphSchema({}), "novelty")
    config = {**NoveltyFeaturizer.get_default_config(), "dictionary_path": str(directory)}
    featurizer = NoveltyFeaturizer.create(config, storage, resource, context)
    featurizer.train(data)

    service, familiar, novel = (
        NoveltyFeaturizer.SERVICE,
        NoveltyFeaturizer.FAMILIAR,
        NoveltyFeaturizer.NOVEL,
    )
    assert featurizer.kind("护照") == service  # from the catalog's dictionary
    assert featurizer.kind("材料") == familiar  # in 2+ training examples
    assert featurizer.kind("天气") == novel  # in one example only: novel, as at inference
    assert featurizer.kind("黑洞") == novel  # only out-of-scope examples use it
    assert featurizer.kind("火星") == novel  # never seen
    assert featurizer.kind("2") == familiar and featurizer.kind("？") == familiar

    loaded = NoveltyFeaturizer.load(config, storage, resource, context)
    assert loaded.kind("护照") == service and loaded.kind("黑洞") == novel

    [message] = tokenizer.process([Message(data={"text": "黑洞要带什么"})])
    loaded.process([message])
    sequence, sentence = message.get_sparse_features("text")
    assert sequence is not None and sentence is not None
    assert sequence.features.shape[1] == 3
    assert sentence.features.toarray()[0, novel] == 1  # 黑洞


def _ensemble(tmp_path: Path, **config: object) -> tuple[object, BanshiJiebaTokenizer]:
    from rasa.shared.nlu.training_data.training_data import TrainingData

    from bot.components import LinearIntentEnsemble

    tmp_path.mkdir(parents=True, exist_ok=True)
    tokenizer = make_tokenizer(tmp_path, None)
    examples = [
        Message(data={"text": text, "intent": "ask_fees"})
        for text in ["办护照要多少钱", "收费吗", "要交钱吗", "费用是多少", "身份证补办多少钱"]
    ] + [
        Message(data={"text": text, "intent": "ask_materials"})
        for text in ["办护照要带什么", "需要什么材料", "带啥证件", "材料清单", "身份证补办带什么"]
    ]
    data = tokenizer.process_training_data(TrainingData(examples))
    (tmp_path / "storage").mkdir(exist_ok=True)
    storage, resource = LocalModelStorage(tmp_path / "storage"), Resource("ensemble")
    context = ExecutionContext(GraphSchema({}), "ensemble")
    full = {**LinearIntentEnsemble.get_default_config(), **config}
    LinearIntentEnsemble.create(full, storage, resource, context).train(data)
    return LinearIntentEnsemble.load(full, storage, resource, context), tokenizer


def _classify(ensemble: object, tokenizer: BanshiJiebaTokenizer, diet: dict[str, float]) -> Message:
    [message] = tokenizer.process([Message(data={"text": "居住证要多少钱"})])
    ranking = [{"name": k, "confidence": v} for k, v in diet.items()]
    message.set("intent", ranking[0])
    message.set("intent_ranking", ranking)
    ensemble.process([message])  # type: ignore[attr-defined]
    return message


def test_the_linear_model_outvotes_an_unsure_diet_after_a_reload(tmp_path: Path) -> None:
    ensemble, tokenizer = _ensemble(tmp_path)
    # DIET leans to materials, unsure; the n-grams (多少钱) say fees: the average says fees.
    message = _classify(ensemble, tokenizer, {"ask_materials": 0.55, "ask_fees": 0.45})
    assert message.get("intent")["name"] == "ask_fees"
    ranking = message.get("intent_ranking")
    assert [r["confidence"] for r in ranking] == sorted(
        (r["confidence"] for r in ranking), reverse=True
    )
    assert abs(sum(r["confidence"] for r in ranking) - 1.0) < 1e-6


def test_with_weight_zero_diet_decides_alone(tmp_path: Path) -> None:
    ensemble, tokenizer = _ensemble(tmp_path, weight=0.0)
    message = _classify(ensemble, tokenizer, {"ask_materials": 0.55, "ask_fees": 0.45})
    assert message.get("intent") == {"name": "ask_materials", "confidence": 0.55}


def test_the_softmax_temperature_is_fitted_unless_configured(tmp_path: Path) -> None:
    fitted, _ = _ensemble(tmp_path / "fitted")
    assert fitted.temperature is not None and 0.01 <= fitted.temperature <= 2.0  # type: ignore[attr-defined]
    fixed, _ = _ensemble(tmp_path / "fixed", temperature=0.7)
    assert fixed.temperature == 0.7  # type: ignore[attr-defined]


def test_the_ensembles_cache_key_covers_its_model_code_and_scikit_learn() -> None:
    """Rasa reuses a cached trained component unless its class source, config or required
    packages change: the model code must live inside the class, and scikit-learn's version
    (the saved model is its pickle) must be part of the key."""
    import inspect

    from bot.components import LinearIntentEnsemble

    source = inspect.getsource(LinearIntentEnsemble)
    assert "def fit_temperature" in source and "def probabilities" in source
    assert "sklearn" in LinearIntentEnsemble.required_packages()


def test_config_class_paths_resolve_through_rasas_registry_old_and_new() -> None:
    """config.yml names each component by the package; models trained before the package was
    split name the same classes ``bot.components.X`` in their stored graph schema, models
    trained after it ``bot.components.<module>.X``: both must load."""
    import rasa.shared.utils.io
    from rasa.engine.recipes.default_recipe import DefaultV1Recipe
    from rasa.engine.recipes.recipe import Recipe

    import bot.components

    root = Path(__file__).resolve().parents[2]
    config = rasa.shared.utils.io.read_model_configuration(str(root / "config.yml"))
    named = [c["name"] for c in config["pipeline"] if c["name"].startswith("bot.")]
    assert sorted(named) == sorted(f"bot.components.{n}" for n in bot.components.__all__)
    for name in named:
        assert DefaultV1Recipe._from_registry(name).clazz is getattr(
            bot.components, name.rsplit(".", 1)[1]
        )

    graph = Recipe.recipe_for_name(config.get("recipe")).graph_config_for_recipe(config, {})
    ours = {
        k: n["uses"]
        for k, n in graph.predict_schema.as_dict()["nodes"].items()
        if n["uses"].startswith("bot.")
    }
    assert len(set(ours.values())) == len(named)
    for rename in (lambda path: path, lambda path: "bot.components." + path.rsplit(".", 1)[1]):
        stored = graph.predict_schema.as_dict()  # from_dict rewrites the dict it is given
        for key, path in ours.items():
            stored["nodes"][key]["uses"] = rename(path)
        schema = GraphSchema.from_dict(stored)
        loaded = {n.uses for n in schema.nodes.values() if n.uses.__module__.startswith("bot.")}
        assert loaded == {getattr(bot.components, n) for n in bot.components.__all__}


def test_an_ensemble_pickled_before_the_split_still_loads() -> None:
    """The saved model pickles ``LinearIntentEnsemble.Model`` and its analyzer by module path;
    one trained when the class lived in bot/components.py names ``bot.components``."""
    import pickle

    from bot.components import LinearIntentEnsemble

    model = LinearIntentEnsemble.Model(
        words=LinearIntentEnsemble.Model.tokens_of, chars=None, svc=None, temperature=0.25
    )
    data = pickle.dumps(model, protocol=2)  # text GLOBALs: the module path can be rewritten
    old = data.replace(b"bot.components.ensemble\n", b"bot.components\n")
    assert old != data
    loaded = pickle.loads(old)
    assert isinstance(loaded, LinearIntentEnsemble.Model) and loaded.temperature == 0.25
    assert loaded.words is LinearIntentEnsemble.Model.tokens_of
