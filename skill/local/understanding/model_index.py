"""The interaction model indexed for reading: samples compiled to word keys and slots,
slot values by their joined keys, the vocabulary typos are read against, and lookups
that keep reading fast.

Read from the same ``interaction_models/<locale>.json`` the Alexa console gets, plus the
AMAZON built-in intents' phrasings in that language (``skill.coach.language``),
with the language's reading rules (:class:`~skill.local.understanding.utterance.Wording`):
nothing here names an intent or a language, so intents added to the model are understood
as they land.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from skill.local.understanding.alignment import Carrier, Sample, SlotRef
from skill.local.understanding.compounds import Decompounder, known_keys
from skill.local.understanding.utterance import Wording
from skill.local.understanding.values import SlotValues
from skill.settings import INTERACTION_MODELS_DIR

_SLOT_IN_SAMPLE = re.compile(r"\{(\w+)\}")


def load_model(locale: str) -> dict[str, Any]:
    path = INTERACTION_MODELS_DIR / f"{locale}.json"
    with path.open(encoding="utf-8") as handle:
        return json.load(handle)["interactionModel"]


def available_locales() -> tuple[str, ...]:
    """Locales with an interaction model on disk, e.g. ("en-AU", "en-CA", ...)."""
    return tuple(sorted(path.stem for path in Path(INTERACTION_MODELS_DIR).glob("*.json")))


class ModelIndex:
    """One locale's interaction model, indexed for reading (the NLU's part that is data)."""

    def __init__(
        self,
        interaction_model: Mapping[str, Any],
        wording: Wording,
        builtin_phrases: Mapping[str, Sequence[str]],
    ) -> None:
        language = interaction_model["languageModel"]
        self.wording = wording
        self.invocation_name: str = language["invocationName"]
        self.intent_slots: dict[str, dict[str, str]] = {
            intent["name"]: {slot["name"]: slot["type"] for slot in intent.get("slots", [])}
            for intent in language["intents"]
        }
        dialog = interaction_model.get("dialog", {})
        self.dialog_intents = frozenset(intent["name"] for intent in dialog.get("intents", []))
        self.phrases = {
            slot_type["name"]: [
                phrase
                for value in slot_type.get("values", [])
                for phrase in (value["name"]["value"], *value["name"].get("synonyms", []))
            ]
            for slot_type in language.get("types", [])
        }
        self.builtin_phrases = {
            intent: phrases
            for intent, phrases in builtin_phrases.items()
            if intent in self.intent_slots
        }
        texts = [
            *(text for intent in language["intents"] for text in intent.get("samples", [])),
            *(text for phrases in self.builtin_phrases.values() for text in phrases),
            *(phrase for phrases in self.phrases.values() for phrase in phrases),
        ]
        self.compounds = Decompounder(wording, known_keys(wording, texts))
        self.values = self._index_values(language.get("types", []))
        self.samples = self._build_samples(language["intents"])
        self.vocabulary = self._build_vocabulary()
        self.known = frozenset(self.vocabulary)
        self.command_words = frozenset(
            item
            for sample in self.samples
            for item in sample.items
            if isinstance(item, str) and item not in wording.function_keys
        )
        self._index_samples()
        self.invocation_keys = self.keys_of(self.invocation_name)

    def words(self, text: str) -> list[str]:
        """A text's words, compounds as their parts, before any filler is dropped."""
        return self.compounds.canonical(self.wording.raw_words(text))

    def utterance_words(self, text: str) -> list[str]:
        """The words of an utterance that matter, compounds as their parts."""
        return self.wording.strip_phrases(self.words(text))

    def keys_of(self, text: str) -> tuple[str, ...]:
        return tuple(self.wording.key_of(word) for word in self.words(text))

    def _index_samples(self) -> None:
        """Lookups that keep :meth:`understand` fast: exact phrases, words, slot types."""
        self.exact: dict[tuple, Sample] = {}
        self.by_key: dict[str, list[int]] = {}
        self.slotted_by_type: dict[str, list[int]] = {}
        self.carriers: dict[tuple, list[Carrier]] = {}
        for index, sample in enumerate(self.samples):
            if not sample.slots:
                self.exact.setdefault(sample.items, sample)
            for key in sample.literal_keys:
                self.by_key.setdefault(key, []).append(index)
            for slot in sample.slots:
                self.slotted_by_type.setdefault(slot.slot_type, []).append(index)
            if len(sample.slots) == 1 and sample.anchored:
                at = sample.items.index(sample.slots[0])
                carrier = Carrier(sample, sample.slots[0], sample.items[at + 1 :])
                self.carriers.setdefault(sample.items[:at], []).append(carrier)

    # --- building -------------------------------------------------------------------------

    def _index_values(self, types: Sequence[Mapping[str, Any]]) -> dict[str, SlotValues]:
        """slot type -> its values and synonyms, indexed by their words' keys."""
        index: dict[str, SlotValues] = {}
        for slot_type in types:
            values = SlotValues(self.wording.function_keys)
            for value in slot_type.get("values", []):
                name = value["name"]["value"]
                entry = (value.get("id") or name, name)
                for phrase in (name, *value["name"].get("synonyms", [])):
                    values.add(entry, self.keys_of(phrase))
            index[slot_type["name"]] = values
        return index

    def _build_samples(self, intents: Sequence[Mapping[str, Any]]) -> list[Sample]:
        samples: list[Sample] = []
        seen: set[tuple] = set()
        for intent in intents:
            slot_types = self.intent_slots[intent["name"]]
            for text in intent.get("samples", []):
                sample = self._compile(intent["name"], text, slot_types)
                if sample is not None and sample.items not in seen:
                    seen.add(sample.items)
                    samples.append(sample)
        for intent_name, phrases in self.builtin_phrases.items():
            for text in phrases:
                sample = self._compile(intent_name, text, {})
                if sample is not None and sample.items not in seen:
                    seen.add(sample.items)
                    samples.append(sample)
        return samples

    def _compile(self, intent: str, text: str, slot_types: Mapping[str, str]) -> Sample | None:
        """A sample as word keys and slots, with the same filler stripping as utterances."""
        parts = _SLOT_IN_SAMPLE.split(text)  # text, slot name, text, slot name, ...
        slots = {f"zzslot{i}zz": parts[i] for i in range(1, len(parts), 2)}
        spelled = "".join(f" zzslot{i}zz " if i % 2 else part for i, part in enumerate(parts))
        wording = self.wording
        items: list[str | SlotRef] = []
        for word in self.utterance_words(spelled):
            name = slots.get(word)
            if name is None:
                items.append(wording.key_of(word))
            elif name in slot_types:
                items.append(SlotRef(name, slot_types[name]))
            else:
                raise ValueError(f"sample {text!r} of {intent} names an undeclared slot")
        if not items:
            return None
        literal = [item for item in items if isinstance(item, str)]
        return Sample(
            intent=intent,
            text=text,
            items=tuple(items),
            weights=tuple(wording.weight(i) if isinstance(i, str) else 0.0 for i in items),
            literal_weight=sum(wording.weight(k) for k in literal),
            anchored=any(k not in wording.function_keys for k in literal),
            slots=tuple(item for item in items if isinstance(item, SlotRef)),
            literal_keys=frozenset(literal),
        )

    def _build_vocabulary(self) -> tuple[str, ...]:
        """Every word key the model knows (samples, values, synonyms), for typo reading."""
        words = {item for s in self.samples for item in s.items if isinstance(item, str)}
        for slot_type in self.phrases.values():
            for phrase in slot_type:
                words.update(self.keys_of(phrase))
        return tuple(sorted(words))
