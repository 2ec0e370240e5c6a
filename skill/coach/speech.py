"""Speech rendering: a response key plus data becomes SSML, a reprompt and a card.

Handlers decide, templates speak. Each response key is one Jinja file,
``speech_templates/<locale>/<key>.ssml.j2``, defining the blocks ``speech`` and, where
they apply, ``reprompt``, ``card_title`` and ``card``, each rendered on its own against
one context. The shared macro libraries ``_lib``, ``_phrases`` and ``_screen`` are built
once per locale and are globals (``lib``, ``phrases``, ``screen``) in every template. A
request's locale is matched against the folders that exist (:mod:`skill.coach.locales`:
the exact locale, then its language, then English) and templates fall back along that
chain file by file, so a locale only overrides what it says differently.

Each locale chain gets one :class:`jinja2.Environment`: strict (``StrictUndefined``: a
missing value is an error, never empty speech) and XML-autoescaped (a slot value such as
``<audio src="x"/>`` or ``AT&T`` is spoken as text, never interpreted as SSML). Where a
folder of precompiled templates exists (the Lambda package has one, written at package time
by Jinja's own :meth:`~jinja2.Environment.compile_templates`), the environment loads them
with :class:`jinja2.ModuleLoader`: the code Jinja would generate, without lexing and
compiling it again. A checkout renders from the sources. :meth:`SpeechRenderer.preload_all`
loads every template of every locale, so a server or a Lambda snapshot does it once.
"""

# Without ``from __future__ import annotations``: with it, every NamedTuple field here
# would be a ForwardRef that typing compiles at import, on every Lambda cold start.

import html
import random
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NamedTuple

import jinja2

from skill.alexa.sounds import earcon_urls
from skill.coach.locales import DEFAULT_LANGUAGE, fallback_chain
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
    written = []
    folders = _folders(root)
    for locale in folders:
        chain = fallback_chain(locale, folders)
        environment = _new_environment(jinja2.FileSystemLoader([root / name for name in chain]))
        folder = target / chain[0]
        environment.compile_templates(
            folder,
            filter_func=lambda name: name.endswith(TEMPLATE_SUFFIX),
            zip=None,
            ignore_errors=False,
        )
        written.append(folder)
    return written


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
    """One locale chain's Jinja environment, its macro libraries and the globals it renders with."""

    def __init__(self, environment: jinja2.Environment, rng: random.Random) -> None:
        self.environment = environment
        environment.globals["pick"] = _pick(rng)
        environment.globals["sound_urls"] = earcon_urls()
        for file_name, global_name in LIBRARIES.items():  # _lib uses phrases: order matters
            environment.globals[global_name] = self.template(file_name).module
        environment.globals["paced"] = PacedSets(environment.globals["lib"].beats, rng)
        self.beat_times = BeatTimes(environment.globals["lib"].beats)
        # The globals as one plain dict: Template.new_context would flatten the ChainMap of
        # template and environment globals on every render (~10 us).
        self.globals: dict[str, Any] = dict(environment.globals)

    def template(self, file_name: str) -> jinja2.Template:
        return self.environment.get_template(file_name)


class SpeechRenderer:
    """Renders response keys for any locale; a locale's templates are loaded on first use.

    From the precompiled modules where the package has them, else compiled from the
    sources, each once per process. A server, and a Lambda before its snapshot, calls
    :meth:`preload_all` before any request comes.
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
        """A locale's environment and globals, built once per chain of existing folders."""
        chain = fallback_chain(locale, self._folders) or (DEFAULT_LANGUAGE,)
        speech = self._chains.get(chain)
        if speech is None:
            speech = self._chains[chain] = LocaleSpeech(self._environment(chain), self.rng)
        return speech

    def _environment(self, chain: tuple[str, ...]) -> jinja2.Environment:
        precompiled = self.compiled / chain[0] if self.compiled else None
        if precompiled is not None and precompiled.is_dir():
            return _new_environment(jinja2.ModuleLoader(precompiled))
        return _new_environment(jinja2.FileSystemLoader([self.root / name for name in chain]))

    def preload(self, locale: str) -> None:
        """Load every template of a locale now, so no request pays for it (and typos fail early)."""
        speech = self.speech(locale)
        for key in self.keys:
            speech.template(key + TEMPLATE_SUFFIX)

    def preload_all(self) -> None:
        """Load every template of every locale folder."""
        for locale in self.locales():
            self.preload(locale)

    def library(self, locale: str | None, name: str) -> Any:
        """A macro library of a locale (``"screen"``: the words a screen shows)."""
        return self.speech(locale).globals[name]

    def beat_times(self, locale: str | None) -> BeatTimes:
        return self.speech(locale).beat_times

    def render(self, key: str, locale: str | None, **data: Any) -> Rendered:
        speech = self.speech(locale)
        environment = speech.environment
        template = speech.template(key + TEMPLATE_SUFFIX)
        blocks = template.blocks
        context = environment.context_class(
            environment, {**speech.globals, **data}, template.name, blocks
        )

        def block(name: str) -> str | None:
            render_block = blocks.get(name)
            return _squash("".join(render_block(context))) if render_block else None

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
