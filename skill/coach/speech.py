"""Speech rendering: a response key plus data becomes SSML, a reprompt and a card.

Handlers decide, templates speak. Each response key is one Jinja file,
``speech_templates/<locale>/<key>.ssml.j2``, defining the blocks ``speech`` and, where
they apply, ``reprompt``, ``card_title`` and ``card``, each rendered on its own against
one context. The shared macro libraries ``_lib`` and ``_phrases`` are built once per
locale and are globals (``lib``, ``phrases``) in every template. Locales fall back from
the exact locale to its language to English (``en-GB`` -> ``en``), file by file, so a
locale only overrides what it says differently.

Where a folder of precompiled templates exists (the Lambda package has one, written by
:func:`compile_templates` at package time), they are loaded as Python modules instead:
the same code Jinja would generate on first use, without the lexing and code generation a
cold start would otherwise pay. A checkout has none and renders from the sources.

The environment is strict (a missing value is an error, never empty speech) and
XML-autoescaped (a slot value such as ``<audio src="x"/>`` or ``AT&T`` is spoken as
text, never interpreted as SSML).
"""

# Without ``from __future__ import annotations``: with it, every NamedTuple field here
# would be a ForwardRef that typing compiles at import, on every Lambda cold start.

import html
import random
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NamedTuple

import jinja2

from skill.alexa.sounds import earcon_urls
from skill.settings import COMPILED_TEMPLATES_DIR, SPEECH_TEMPLATES_DIR

DEFAULT_LANGUAGE = "en"
TEMPLATE_SUFFIX = ".ssml.j2"
_LOCALE_PATTERN = re.compile(r"^[a-z]{2,3}(-[A-Z]{2})?$")
# Macro libraries every template sees as globals: template file -> global name.
LIBRARIES = {"_phrases.ssml.j2": "phrases", "_lib.ssml.j2": "lib", "_screen.ssml.j2": "screen"}


class Rendered(NamedTuple):
    speech: str  # full SSML, <speak>...</speak>
    reprompt: str | None  # full SSML, or None where the template has no reprompt
    card_title: str
    card_text: str


def locale_chain(locale: str | None) -> list[str]:
    """Template folders to search for a locale, most specific first."""
    chain = []
    if locale and _LOCALE_PATTERN.match(locale):
        chain.append(locale)
        language = locale.split("-")[0]
        if language != locale:
            chain.append(language)
    if DEFAULT_LANGUAGE not in chain:
        chain.append(DEFAULT_LANGUAGE)
    return chain


def _chain_on_disk(root: Path, locale: str | None) -> tuple[str, ...]:
    """The locale folders under ``root`` a locale renders from, most specific first."""
    return tuple(name for name in locale_chain(locale) if (root / name).is_dir()) or (
        DEFAULT_LANGUAGE,
    )


def _new_environment(loader: jinja2.BaseLoader) -> jinja2.Environment:
    """The one configuration templates are compiled and rendered with."""
    return jinja2.Environment(
        loader=loader,
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        auto_reload=False,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )


def compile_templates(target: Path, root: Path = SPEECH_TEMPLATES_DIR) -> list[Path]:
    """Compile each locale folder's templates (fallbacks included) into ``target/<locale>``.

    Each folder holds what the renderer would compile for that locale: the module of every
    template the locale's chain finds, named as :class:`jinja2.ModuleLoader` looks it up.
    A syntax error stops the build rather than leaving a template out.
    """
    folders = []
    for locale in sorted(p.name for p in root.iterdir() if p.is_dir()):
        chain = _chain_on_disk(root, locale)
        environment = _new_environment(jinja2.FileSystemLoader([root / name for name in chain]))
        folder = target / chain[0]
        environment.compile_templates(
            folder,
            filter_func=lambda name: name.endswith(TEMPLATE_SUFFIX),
            zip=None,
            ignore_errors=False,
        )
        folders.append(folder)
    return folders


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


class SpeechRenderer:
    """Renders response keys for any locale; each template is compiled once, when first used.

    A Lambda cold start answers one request, so compiling every template up front would be
    most of its cost; a server calls :meth:`preload_all` before it forks its workers.
    """

    def __init__(
        self,
        root: Path = SPEECH_TEMPLATES_DIR,
        *,
        compiled: Path | None = COMPILED_TEMPLATES_DIR,
        rng: random.Random | None = None,
    ) -> None:
        self.root = root
        self.compiled = compiled  # precompiled templates, used where a locale's folder exists
        self.rng = rng or random.Random()
        self._environments: dict[tuple[str, ...], jinja2.Environment] = {}
        self._by_locale: dict[str | None, jinja2.Environment] = {}
        # Each environment's globals as one plain dict: Template.new_context would flatten
        # the ChainMap of template and environment globals on every render (~10 us).
        self._globals: dict[jinja2.Environment, dict[str, Any]] = {}
        self._beat_times: dict[jinja2.Environment, BeatTimes] = {}
        self.keys = sorted(
            path.name.removesuffix(TEMPLATE_SUFFIX)
            for path in (root / DEFAULT_LANGUAGE).glob(f"*{TEMPLATE_SUFFIX}")
            if not path.name.startswith("_")
        )

    def locales(self) -> list[str]:
        return sorted(p.name for p in self.root.iterdir() if p.is_dir())

    def _environment(self, locale: str | None) -> jinja2.Environment:
        """The environment for a locale, looked up on disk once per locale, then kept."""
        environment = self._by_locale.get(locale)
        if environment is None:
            environment = self._by_locale[locale] = self._build_environment(locale)
        return environment

    def _build_environment(self, locale: str | None) -> jinja2.Environment:
        chain = _chain_on_disk(self.root, locale)
        environment = self._environments.get(chain)
        if environment is None:
            precompiled = self.compiled / chain[0] if self.compiled else None
            if precompiled is not None and precompiled.is_dir():
                loader: jinja2.BaseLoader = jinja2.ModuleLoader(precompiled)
            else:
                loader = jinja2.FileSystemLoader([self.root / name for name in chain])
            environment = _new_environment(loader)
            environment.globals["pick"] = _pick(self.rng)
            environment.globals["sound_urls"] = earcon_urls()
            for file_name, global_name in LIBRARIES.items():  # _lib uses phrases: order matters
                environment.globals[global_name] = environment.get_template(file_name).module
            environment.globals["paced"] = PacedSets(environment.globals["lib"].beats, self.rng)
            self._beat_times[environment] = BeatTimes(environment.globals["lib"].beats)
            self._environments[chain] = environment
            self._globals[environment] = dict(environment.globals)
        return environment

    def preload(self, locale: str) -> None:
        """Compile every template for a locale, so no request pays for it (and typos fail early)."""
        environment = self._environment(locale)
        for key in self.keys:
            environment.get_template(key + TEMPLATE_SUFFIX)

    def preload_all(self) -> None:
        """Compile every template of every locale folder."""
        for locale in self.locales():
            self.preload(locale)

    def library(self, locale: str | None, name: str) -> Any:
        """A macro library of a locale (``"screen"``: the words a screen shows)."""
        return self._globals[self._environment(locale)][name]

    def beat_times(self, locale: str | None) -> BeatTimes:
        return self._beat_times[self._environment(locale)]

    def render(self, key: str, locale: str | None, **data: Any) -> Rendered:
        environment = self._environment(locale)
        template = environment.get_template(key + TEMPLATE_SUFFIX)
        blocks = template.blocks
        context = environment.context_class(
            environment, {**self._globals[environment], **data}, template.name, blocks
        )

        def block(name: str) -> str | None:
            render_block = blocks.get(name)
            return _squash("".join(render_block(context))) if render_block else None

        speech = block("speech")
        reprompt = block("reprompt")
        card_title = block("card_title")
        card_text = block("card")
        return Rendered(
            speech=f"<speak>{speech}</speak>",
            reprompt=f"<speak>{reprompt}</speak>" if reprompt else None,
            card_title=html.unescape(card_title) if card_title else "Step Coach",
            card_text=html.unescape(card_text) if card_text else "",
        )
