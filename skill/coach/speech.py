"""Speech rendering: a response key plus data becomes SSML, a reprompt and a card.

Handlers decide, templates speak. Each response key is one Jinja file,
``speech_templates/<locale>/<key>.ssml.j2``, defining the blocks ``speech`` and, where
they apply, ``reprompt``, ``card_title`` and ``card``, each rendered on its own against
one context. The shared macro libraries ``_lib`` and ``_phrases`` are built once per
locale and are globals (``lib``, ``phrases``) in every template. A request's locale is
matched against the folders that exist (:mod:`skill.coach.locales`: the exact locale,
then its language, then English) and templates fall back along that chain file by file,
so a locale only overrides what it says differently.

Templates are Jinja, rendered as plain Python: :mod:`skill.coach.template_compiler`
turns a locale's templates into functions that need only markupsafe. The Lambda package
carries them compiled (:func:`compile_templates`, ``speech_templates_compiled/<locale>.py``),
so a cold start imports no Jinja; a checkout compiles each template from its source (Jinja
parses it) on first use.

Rendering is strict (a missing value is an error, never empty speech) and XML-escaped (a
slot value such as ``<audio src="x"/>`` or ``AT&T`` is spoken as text, never interpreted
as SSML), as a Jinja environment with ``autoescape`` and ``StrictUndefined`` renders.
"""

# Without ``from __future__ import annotations``: with it, every NamedTuple field here
# would be a ForwardRef that typing compiles at import, on every Lambda cold start.

import html
import importlib.util
import random
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, NamedTuple

from skill.alexa.sounds import earcon_urls
from skill.coach.locales import DEFAULT_LANGUAGE, fallback_chain
from skill.coach.template_runtime import CompiledTemplate, Library
from skill.settings import COMPILED_TEMPLATES_DIR, SPEECH_TEMPLATES_DIR

TEMPLATE_SUFFIX = ".ssml.j2"
# Macro libraries every template sees as globals: template file -> global name.
LIBRARIES = {"_phrases.ssml.j2": "phrases", "_lib.ssml.j2": "lib", "_screen.ssml.j2": "screen"}


class Rendered(NamedTuple):
    speech: str  # full SSML, <speak>...</speak>
    reprompt: str | None  # full SSML, or None where the template has no reprompt
    card_title: str
    card_text: str


def _folders(root: Path) -> list[str]:
    return sorted(p.name for p in root.iterdir() if p.is_dir())


def compile_templates(target: Path, root: Path = SPEECH_TEMPLATES_DIR) -> list[Path]:
    """Compile each locale folder's templates (fallbacks included) into ``target/<locale>.py``.

    Each module holds what the renderer would compile for that locale from the sources:
    every template the locale's chain finds, libraries included. A template the compiler
    cannot translate stops the build rather than being left out.
    """
    from skill.coach import template_compiler  # Jinja parses: only here, and in a checkout

    target.mkdir(parents=True, exist_ok=True)
    written = []
    folders = _folders(root)
    for locale in folders:
        chain = fallback_chain(locale, folders)
        path = target / f"{chain[0]}.py"
        path.write_text(template_compiler.locale_source(root, chain, TEMPLATE_SUFFIX), "utf-8")
        written.append(path)
    return written


def _precompiled(path: Path) -> Mapping[str, CompiledTemplate]:
    """A locale's templates from the module :func:`compile_templates` wrote (and its .pyc)."""
    name = "_step_coach_speech_" + path.stem.replace("-", "_")
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None, path
    module = sys.modules[name] = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    templates: Mapping[str, CompiledTemplate] = module.TEMPLATES
    return templates


def _squash(markup: str) -> str:
    """Template layout whitespace (newlines, indentation) becomes single spaces."""
    return " ".join(markup.split())


def _pick(rng: random.Random) -> Callable[[Sequence[str], int | None], str]:
    def pick(options: Sequence[str], n: int | None = None) -> str:
        """Vary a common phrase so the coach doesn't sound robotic: at random, or the n-th."""
        return rng.choice(list(options)) if n is None else options[n % len(options)]

    return pick


# A paced set is a hundred-odd beats: rendering them was most of a paced step's cost
# (~250 us), yet the words depend only on the locale and the script (which pacing.script
# caches) and on the praise between sets. So each environment renders a script once per
# variant (where the praise rotation starts) and reuses it; each request picks a variant
# at random, so the praise still varies.
PACED_VARIANTS = 5  # the praise options each locale offers


class PacedSets:
    """The ``paced(beats)`` template global: ``lib.beats`` rendered once per script and variant.

    Keys are ``id(beats)``: pacing.script returns the same tuple for the same step and pace,
    and each entry holds its tuple, so an id cannot be reused while cached. Callers that
    pass fresh lists still get the right words, just no reuse; ``limit`` bounds the cache.
    """

    def __init__(self, beats: Callable[..., Any], rng: random.Random, limit: int = 4096) -> None:
        self.beats = beats
        self.rng = rng
        self.limit = limit  # a few KB per entry; far above steps x paces x variants
        self.cache: dict[tuple[int, int], tuple[Sequence[Any], Any]] = {}

    def __call__(self, items: Sequence[Any]) -> Any:
        variant = self.rng.randrange(PACED_VARIANTS)
        key = (id(items), variant)
        entry = self.cache.get(key)
        if entry is None or entry[0] is not items:
            if len(self.cache) >= self.limit:
                self.cache.clear()
            entry = self.cache[key] = (items, self.beats(items, variant))
        return entry[1]


class BeatTimes:
    """How long each beat of a paced set takes to say: exact for pauses, estimated for words.

    A beat's words are its ``lib.beats`` rendering read by :func:`estimated_speech_ms`,
    plus the sentence pause around them; computed once per beat and locale.
    """

    def __init__(self, beats: Callable[..., Any]) -> None:
        self.beats = beats
        self.cache: dict[tuple[str, int, int], int] = {}
        self.markups: dict[tuple[str, int, int], str] = {}
        # A screen's countdown per script, as :mod:`skill.coach.screen` builds it; keyed
        # like PacedSets (id of pacing.script's cached tuple, which each entry holds).
        self.timelines: dict[int, tuple[Any, Any]] = {}

    def markup(self, beat: Any) -> str:
        """A beat's SSML as it appears, squashed, inside a rendered response."""
        key = (beat.kind, beat.value, beat.of)
        markup = self.markups.get(key)
        if markup is None:
            markup = self.markups[key] = _squash(str(self.beats([beat])))
        return markup

    def __call__(self, beat: Any) -> int:
        if beat.kind == "pause":
            return beat.value
        key = (beat.kind, beat.value, beat.of)
        spoken = self.cache.get(key)
        if spoken is None:
            # The SSML reader (and xml.etree with it) loads with the first paced set, not
            # on every cold start: a launch has no beats to time.
            from skill.alexa.ssml import SENTENCE_PAUSE_MS, estimated_speech_ms

            markup = self.markup(beat)
            spoken = estimated_speech_ms(f"<speak>{markup}</speak>")
            if "<s>" in markup:  # Alexa pauses around a sentence; a sound has none
                spoken += SENTENCE_PAUSE_MS
            self.cache[key] = spoken
        return spoken


class LocaleSpeech:
    """One locale's compiled templates, its macro libraries, and the globals templates see."""

    def __init__(self, templates: Mapping[str, CompiledTemplate], rng: random.Random) -> None:
        self.templates = templates
        self.libraries: dict[str, Library] = {}
        self.globals: dict[str, Any] = {"pick": _pick(rng), "sound_urls": earcon_urls()}
        for file_name, global_name in LIBRARIES.items():  # _lib uses phrases: order matters
            self.globals[global_name] = self.load(file_name)
        self.globals["paced"] = PacedSets(self.globals["lib"].beats, rng)
        self.beat_times = BeatTimes(self.globals["lib"].beats)

    def load(self, file_name: str) -> Library:
        """A library, built once with the globals defined so far (as Jinja's import does)."""
        library = self.libraries.get(file_name)
        if library is None:
            module = self.template(file_name).module
            if module is None:
                raise TemplateNotFound(f"{file_name} has blocks: it is not a macro library")
            library = self.libraries[file_name] = module(dict(self.globals), self.load)
        return library

    def template(self, file_name: str) -> CompiledTemplate:
        template = self.templates.get(file_name)
        if template is None:
            raise TemplateNotFound(f"no speech template {file_name}")
        return template


class TemplateNotFound(LookupError):
    """A response key (or library) that no folder of the locale's chain has."""


class SpeechRenderer:
    """Renders response keys for any locale; a locale's templates are loaded on first use.

    From the precompiled module where the package has one, else compiled from the sources
    (once per process and set of sources). A server calls :meth:`preload_all` before it
    forks its workers.
    """

    def __init__(
        self,
        root: Path = SPEECH_TEMPLATES_DIR,
        *,
        compiled: Path | None = COMPILED_TEMPLATES_DIR,
        rng: random.Random | None = None,
    ) -> None:
        self.root = root
        self.compiled = compiled  # precompiled templates, used where a locale's module exists
        self.rng = rng or random.Random()
        # Keyed by chains of existing folders, never by a request's locale string: as
        # many entries as there are folders, whatever locales requests name.
        self._chains: dict[tuple[str, ...], LocaleSpeech] = {}
        self._folders = _folders(root)
        self.keys = sorted(
            path.name.removesuffix(TEMPLATE_SUFFIX)
            for path in (root / DEFAULT_LANGUAGE).glob(f"*{TEMPLATE_SUFFIX}")
            if not path.name.startswith("_")
        )

    def locales(self) -> list[str]:
        return list(self._folders)

    def speech(self, locale: str | None) -> LocaleSpeech:
        """The templates and globals a locale renders with, loaded once per folder chain."""
        chain = fallback_chain(locale, self._folders) or (DEFAULT_LANGUAGE,)
        speech = self._chains.get(chain)
        if speech is None:
            speech = self._chains[chain] = LocaleSpeech(self._templates(chain), self.rng)
        return speech

    def _templates(self, chain: tuple[str, ...]) -> Mapping[str, CompiledTemplate]:
        precompiled = self.compiled / f"{chain[0]}.py" if self.compiled else None
        if precompiled is not None and precompiled.is_file():
            return _precompiled(precompiled)
        from skill.coach import template_compiler  # a checkout: Jinja parses the sources

        return template_compiler.load_locale(self.root, chain, TEMPLATE_SUFFIX)

    def preload(self, locale: str) -> None:
        """Load a locale's templates now, so no request pays for it (and typos fail early)."""
        speech = self.speech(locale)
        for key in self.keys:
            speech.template(key + TEMPLATE_SUFFIX)

    def preload_all(self) -> None:
        """Load every locale folder's templates."""
        for locale in self.locales():
            self.preload(locale)

    def library(self, locale: str | None, name: str) -> Any:
        """A macro library of a locale (``"screen"``: the words a screen shows)."""
        return self.speech(locale).globals[name]

    def beat_times(self, locale: str | None) -> BeatTimes:
        return self.speech(locale).beat_times

    def render(self, key: str, locale: str | None, **data: Any) -> Rendered:
        speech = self.speech(locale)
        blocks = speech.template(key + TEMPLATE_SUFFIX).blocks
        context = {**speech.globals, **data}

        def block(name: str) -> str | None:
            render_block = blocks.get(name)
            return _squash(render_block(context)) if render_block else None

        speech_markup = block("speech")
        reprompt = block("reprompt")
        card_title = block("card_title")
        card_text = block("card")
        return Rendered(
            speech=f"<speak>{speech_markup}</speak>",
            reprompt=f"<speak>{reprompt}</speak>" if reprompt else None,
            card_title=html.unescape(card_title) if card_title else "Step Coach",
            card_text=html.unescape(card_text) if card_text else "",
        )
