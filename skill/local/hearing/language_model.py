"""The recognizer's language model, built from the skill itself, never by hand.

What a person can say to Step Coach is what the locale's interaction model says (every
sample, each slot filled with every value and synonym), plus the built-in intents'
phrasings the text NLU knows, plus launching the skill by name. From those sentences this
module writes a small trigram model (ARPA, Witten-Bell backoff) and a pronunciation
dictionary holding only the words the model can emit, taken from pocketsphinx's CMU
dictionary or, for words it lacks ("clamshells", "glute"), from ``pronunciations.dict``
beside this file. Both are cached under ``var/hearing/`` keyed by a hash of everything
they are built from, so editing the content rebuilds them and nothing else does.

Each sample's expansions share its weight (each counts ``1/sqrt(n)``), so a sample with
seventy slot values does not drown "next" and "pause" in the counts. A second, *strict*
model beside it is the same with backing off :data:`STRICT_BACKOFF_SCALE` times as
likely: a decoder reading it keeps to the corpus's own word sequences, for the rooms
where other people's words would otherwise be read as a command's.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from itertools import product
from pathlib import Path

import pocketsphinx

from skill.local.hearing._skill import BUILTIN_PHRASES, DATA_DIR, INTERACTION_MODELS_DIR

# Bump when the corpus or model construction changes, so old caches are not reused.
FORMAT_VERSION = 2
# Pronunciations for words pocketsphinx's dictionary lacks, in CMU format.
EXTRA_PRONUNCIATIONS = Path(__file__).with_name("pronunciations.dict")
# Where built models are cached.
CACHE_DIR = DATA_DIR / "hearing"
# How the skill is opened by name, with or without a request ("ask step coach to ...").
LAUNCH_PHRASES = ("open {name}", "start {name}", "launch {name}", "talk to {name}", "{name}")
ONE_SHOT_PHRASES = ("ask {name} to {request}", "tell {name} to {request}")
# The strict model's backoff weights are the model's times this: a word sequence the
# corpus never has costs 100 times more. The recognizer's room of talkers reads it
# (bench.hearing's babble 147 -> 157 of 189; 0.1: 154, 0.001: 156, 1e-5: 153, measured
# before its reading had to be confirmed, Recognizer._confirmed).
STRICT_BACKOFF_SCALE = 0.01

_SLOT = re.compile(r"\{(\w+)\}")
_NOT_WORD = re.compile(r"[^a-z0-9' ]+")


class LanguageModelError(RuntimeError):
    """The model cannot be built (a word without a pronunciation, no such locale)."""


def spoken_words(text: str) -> list[str]:
    """Text as the words a recognizer emits: lower case, hyphens split, no punctuation."""
    text = text.lower().replace("\u2019", "'").replace("-", " ").replace("&", " and ")
    return [word.strip("'") for word in _NOT_WORD.sub(" ", text).split() if word.strip("'")]


@dataclass(frozen=True)
class Sentence:
    """One sentence of the corpus with its count weight and the intent it came from."""

    words: tuple[str, ...]
    weight: float
    intent: str


def _load_language(locale: str) -> Mapping:
    path = Path(INTERACTION_MODELS_DIR) / f"{locale}.json"
    if not path.is_file():
        raise LanguageModelError(f"no interaction model for locale {locale!r}")
    with path.open(encoding="utf-8") as handle:
        return json.load(handle)["interactionModel"]["languageModel"]


def corpus(locale: str = "en-US") -> list[Sentence]:
    """Every sentence the skill expects to hear in this locale, with its count weight."""
    language = _load_language(locale)
    phrases = {
        slot_type["name"]: [
            phrase
            for value in slot_type.get("values", [])
            for phrase in (value["name"]["value"], *value["name"].get("synonyms", []))
        ]
        for slot_type in language.get("types", [])
    }
    sentences: list[Sentence] = []
    requests: list[tuple[str, ...]] = []
    declared = set()
    for intent in language["intents"]:
        declared.add(intent["name"])
        slot_types = {slot["name"]: slot["type"] for slot in intent.get("slots", [])}
        for sample in intent.get("samples", []):
            names = _SLOT.findall(sample)
            fillers = [phrases.get(slot_types.get(name, ""), []) for name in names]
            if any(not options for options in fillers):
                raise LanguageModelError(f"sample {sample!r} names a slot with no values")
            expansions = list(product(*fillers))
            weight = 1.0 / math.sqrt(len(expansions))
            for filling in expansions:
                values = iter(filling)
                text = _SLOT.sub(lambda _match, v=values: next(v), sample)
                words = tuple(spoken_words(text))
                sentences.append(Sentence(words, weight, intent["name"]))
                if not names:
                    requests.append(words)
    for intent_name, texts in BUILTIN_PHRASES.items():
        if intent_name in declared:
            for text in texts:
                sentences.append(Sentence(tuple(spoken_words(text)), 1.0, intent_name))
    name = language["invocationName"]
    for launch in LAUNCH_PHRASES:
        sentences.append(Sentence(tuple(spoken_words(launch.format(name=name))), 1.0, "launch"))
    for one_shot in ONE_SHOT_PHRASES:
        for words in requests:
            text = one_shot.format(name=name, request=" ".join(words))
            sentences.append(Sentence(tuple(spoken_words(text)), 0.2, "one-shot"))
    return [sentence for sentence in sentences if sentence.words]


def vocabulary(sentences: Iterable[Sentence]) -> set[str]:
    """Every word the sentences use."""
    return {word for sentence in sentences for word in sentence.words}


# --- pronunciations -----------------------------------------------------------------------


def _read_dict(path: Path) -> dict[str, list[str]]:
    """A CMU-format dictionary: word -> pronunciations (alternates "word(2)" included)."""
    entries: dict[str, list[str]] = defaultdict(list)
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            word, phones = line.split(maxsplit=1)
            entries[re.sub(r"\(\d+\)$", "", word)].append(" ".join(phones.split()))
    return dict(entries)


@lru_cache(maxsize=1)
def base_dictionary() -> dict[str, list[str]]:
    """pocketsphinx's US English dictionary (read once)."""
    return _read_dict(Path(pocketsphinx.get_model_path()) / "en-us" / "cmudict-en-us.dict")


def extra_pronunciations() -> dict[str, list[str]]:
    """The project's own pronunciations for words the base dictionary lacks."""
    return _read_dict(EXTRA_PRONUNCIATIONS)


def pronunciations(words: Iterable[str]) -> dict[str, list[str]]:
    """word -> pronunciations for every word; :class:`LanguageModelError` names any missing."""
    base, extra = base_dictionary(), extra_pronunciations()
    found, missing = {}, []
    for word in sorted(set(words)):
        options = extra.get(word) or base.get(word)
        if options:
            found[word] = options
        else:
            missing.append(word)
    if missing:
        raise LanguageModelError(
            f"no pronunciation for {', '.join(missing)}: add them to {EXTRA_PRONUNCIATIONS.name}"
        )
    return found


# --- the n-gram model ---------------------------------------------------------------------


def arpa(sentences: Iterable[Sentence], backoff_scale: float = 1.0) -> str:
    """A trigram model of the sentences in ARPA format, with Witten-Bell backoff.

    ``backoff_scale`` below 1 makes every backoff weight that much smaller, so the model
    no longer sums to one: it penalises word sequences the sentences do not have.
    """
    counts: list[dict[tuple[str, ...], float]] = [defaultdict(float) for _ in range(3)]
    for sentence in sentences:
        words = ("<s>", *sentence.words, "</s>")
        for order in range(3):
            for i in range(len(words) - order):
                counts[order][words[i : i + order + 1]] += sentence.weight
    followers: list[dict[tuple[str, ...], tuple[float, int]]] = [{} for _ in range(3)]
    for order in (1, 2):
        for gram, count in counts[order].items():
            total, types = followers[order].get(gram[:-1], (0.0, 0))
            followers[order][gram[:-1]] = (total + count, types + 1)

    total = sum(count for gram, count in counts[0].items() if gram != ("<s>",))
    probs: list[dict[tuple[str, ...], float]] = [{}, {}, {}]
    for gram, count in counts[0].items():
        probs[0][gram] = count / total if gram != ("<s>",) else 0.0
    for order in (1, 2):
        for gram, count in counts[order].items():
            seen, types = followers[order][gram[:-1]]
            probs[order][gram] = count / (seen + types)

    def lower(gram: tuple[str, ...]) -> float:
        """The backed-off probability of a gram from the orders below it."""
        if len(gram) == 1:
            return probs[0][gram]
        if gram[1:] in probs[len(gram) - 2]:
            return probs[len(gram) - 2][gram[1:]]
        return backoffs.get(gram[1:-1], 1.0) * lower(gram[1:])

    backoffs: dict[tuple[str, ...], float] = {}
    for order in (1, 2):
        seen_mass: dict[tuple[str, ...], float] = defaultdict(float)
        for gram in counts[order]:
            seen_mass[gram[:-1]] += lower(gram)
        for history, (seen, types) in followers[order].items():
            left = types / (seen + types)
            backoffs[history] = left / max(1e-9, 1.0 - seen_mass[history])

    lines = ["\\data\\"]
    lines += [f"ngram {order + 1}={len(counts[order])}" for order in range(3)]
    for order in range(3):
        lines += ["", f"\\{order + 1}-grams:"]
        for gram in sorted(counts[order]):
            prob = probs[order][gram]
            logp = math.log10(prob) if prob > 0 else -99.0
            line = f"{logp:.4f} {' '.join(gram)}"
            if order < 2 and gram in backoffs:
                line += f" {math.log10(backoffs[gram] * backoff_scale):.4f}"
            lines.append(line)
    lines += ["", "\\end\\", ""]
    return "\n".join(lines)


# --- building with a cache ----------------------------------------------------------------


@dataclass(frozen=True)
class BuiltModel:
    """A language model and its dictionary on disk, ready for the decoder."""

    lm_path: Path
    strict_lm_path: Path  # the same with backing off dearer (STRICT_BACKOFF_SCALE)
    dict_path: Path
    words: frozenset[str]
    sentences: frozenset[str]  # every sentence of the corpus, its words joined by spaces


def build(locale: str = "en-US", cache_dir: Path | None = None) -> BuiltModel:
    """The locale's model and dictionary, built once and cached by a hash of their inputs."""
    sentences = corpus(locale)
    words = vocabulary(sentences)
    lexicon = pronunciations(words)
    digest = hashlib.sha256(
        json.dumps(
            [FORMAT_VERSION, [(s.words, s.weight) for s in sentences], lexicon], sort_keys=True
        ).encode()
    ).hexdigest()[:16]
    folder = Path(cache_dir or CACHE_DIR) / f"{locale}-{digest}"
    lm_path, strict_lm_path = folder / "model.arpa", folder / "strict.arpa"
    dict_path = folder / "model.dict"
    if not all(path.is_file() for path in (lm_path, strict_lm_path, dict_path)):
        folder.mkdir(parents=True, exist_ok=True)
        _write_atomically(lm_path, arpa(sentences))
        _write_atomically(strict_lm_path, arpa(sentences, STRICT_BACKOFF_SCALE))
        _write_atomically(
            dict_path,
            "".join(
                f"{word}{'' if i == 0 else f'({i + 1})'} {phones}\n"
                for word, options in sorted(lexicon.items())
                for i, phones in enumerate(options)
            ),
        )
    return BuiltModel(
        lm_path,
        strict_lm_path,
        dict_path,
        frozenset(words),
        frozenset(" ".join(s.words) for s in sentences),
    )


def _write_atomically(path: Path, text: str) -> None:
    partial = path.with_suffix(path.suffix + ".partial")
    partial.write_text(text, encoding="utf-8")
    partial.replace(path)
