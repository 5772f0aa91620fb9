"""Text units (tokens, sentences, paragraphs) by spaCy's blank pipeline: the only spaCy import.

Clarify splits free text with spaCy: a *blank* pipeline of the configured
language (its rule-based tokenizer, no trained model) plus the rule-based
``sentencizer``; this reproduces the sentence units and ``start_idx`` offsets
of real Clarify runs exactly (modalities contract §1.2).

* ``token``: spaCy's tokens, punctuation and clitics included (``"n't"``, ``"..."``).
* ``sentence``: the sentencizer's sentences.
* ``paragraph``: not observed in Clarify's output; the rule chosen here is
  :data:`PARAGRAPH_BREAK`, a line break followed by optional whitespace and
  another line break (one blank line or more), so a single line break stays
  inside its paragraph, as in prose written with hard-wrapped lines.

Every unit is a :class:`Unit`: its text without leading or trailing whitespace
(``partial_text``) and the character offset of that text in the original string
(``start_idx``, spaCy's ``start_char``).  Whitespace-only units (spaCy makes a
token of a run of extra spaces) are dropped: they are the gaps between units,
which masking keeps as they are.

Languages: the SDK's names and codes (``TextConfig._SUPPORTED_LANGUAGES``),
which are spaCy's language set; a name is mapped to its spaCy code
(:data:`LANGUAGE_CODES`).  Japanese, Thai and Vietnamese tokenizers need
packages of their own (:data:`LANGUAGE_PACKAGES`), installed by the
``text-languages`` extra; spaCy itself is the ``text`` extra.
"""

from __future__ import annotations

import functools
import importlib.util
import re
import warnings
from dataclasses import dataclass
from typing import Any

from ...errors import ConfigError

__all__ = [
    "LANGUAGE_CODES",
    "LANGUAGE_PACKAGES",
    "PARAGRAPH_BREAK",
    "Segmenter",
    "Unit",
    "language_code",
    "segmenter",
]

#: SDK language names → spaCy codes (the codes map to themselves).
LANGUAGE_CODES: dict[str, str] = {
    "chinese": "zh", "danish": "da", "dutch": "nl", "english": "en", "french": "fr",
    "german": "de", "greek": "el", "italian": "it", "japanese": "ja", "lithuanian": "lt",
    "multi-language": "xx", "norwegian bokmål": "nb", "polish": "pl", "portuguese": "pt",
    "romanian": "ro", "russian": "ru", "spanish": "es", "afrikaans": "af", "albanian": "sq",
    "arabic": "ar", "armenian": "hy", "basque": "eu", "bengali": "bn", "bulgarian": "bg",
    "catalan": "ca", "croatian": "hr", "czech": "cs", "estonian": "et", "finnish": "fi",
    "gujarati": "gu", "hebrew": "he", "hindi": "hi", "hungarian": "hu", "icelandic": "is",
    "indonesian": "id", "irish": "ga", "kannada": "kn", "kyrgyz": "ky", "latvian": "lv",
    "ligurian": "lij", "luxembourgish": "lb", "macedonian": "mk", "malayalam": "ml",
    "marathi": "mr", "nepali": "ne", "persian": "fa", "sanskrit": "sa", "serbian": "sr",
    "setswana": "tn", "sinhala": "si", "slovak": "sk", "slovenian": "sl", "swedish": "sv",
    "tagalog": "tl", "tamil": "ta", "tatar": "tt", "telugu": "te", "thai": "th",
    "turkish": "tr", "ukrainian": "uk", "urdu": "ur", "vietnamese": "vi", "yoruba": "yo",
}  # fmt: skip

#: Languages whose spaCy tokenizer imports a package of its own (module names, PyPI names).
LANGUAGE_PACKAGES: dict[str, tuple[tuple[str, str], ...]] = {
    "ja": (("sudachipy", "sudachipy"), ("sudachidict_core", "sudachidict-core")),
    "th": (("pythainlp", "pythainlp"),),
    "vi": (("pyvi", "pyvi"),),
}

#: Paragraph separator: a line break, optional whitespace, another line break.
PARAGRAPH_BREAK = re.compile(r"\n[^\S\n]*\n\s*")

_TEXT_EXTRA = "pip install 'openclarify[text]'"
_LANGUAGES_EXTRA = "pip install 'openclarify[text-languages]'"
_WHERE = "$.methods.shap.text_config.language"


@dataclass(frozen=True)
class Unit:
    """One unit of a text: ``text`` (``partial_text``) starting at character ``start``."""

    text: str
    start: int

    @property
    def end(self) -> int:
        return self.start + len(self.text)


def language_code(language: str) -> str:
    """The spaCy code of an SDK language name or code (lower case, as the config holds it).

    Raises
    ------
    ConfigError
        A language that is not in the SDK's list.
    """
    if language in LANGUAGE_CODES.values():
        return language
    if language in LANGUAGE_CODES:
        return LANGUAGE_CODES[language]
    raise ConfigError(
        _WHERE,
        "is not one of the languages the SDK lists",
        "use an English language name or ISO code, e.g. 'english' or 'en'",
    )


def _trimmed(text: str, start: int) -> Unit | None:
    stripped = text.lstrip()
    start += len(text) - len(stripped)
    stripped = stripped.rstrip()
    return Unit(stripped, start) if stripped else None


def _paragraphs(text: str) -> list[Unit]:
    units = []
    position = 0
    for match in PARAGRAPH_BREAK.finditer(text):
        unit = _trimmed(text[position : match.start()], position)
        if unit is not None:
            units.append(unit)
        position = match.end()
    unit = _trimmed(text[position:], position)
    if unit is not None:
        units.append(unit)
    return units


@dataclass(frozen=True)
class Segmenter:
    """Splits texts of one language into units of one granularity, and into tokens."""

    language: str
    granularity: str
    _nlp: Any

    def tokens(self, text: str) -> list[Unit]:
        """spaCy's tokens of ``text`` (whitespace-only tokens dropped)."""
        doc = self._nlp.make_doc(text)
        return [u for t in doc if (u := _trimmed(t.text, t.idx)) is not None]

    def units(self, text: str) -> list[Unit]:
        """The units of ``text`` at this segmenter's granularity, in text order."""
        if self.granularity == "token":
            return self.tokens(text)
        if self.granularity == "paragraph":
            return _paragraphs(text)
        doc = self._nlp(text)
        return [u for s in doc.sents if (u := _trimmed(s.text, s.start_char)) is not None]


def _missing_packages(code: str) -> list[str]:
    return [pypi for module, pypi in LANGUAGE_PACKAGES.get(code, ()) if not _importable(module)]


def _importable(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def check_available(language: str) -> None:
    """Refuse, before any data is read, a language whose tokenizer cannot be loaded.

    Raises
    ------
    ConfigError
        spaCy (the ``text`` extra) or the language's own packages (the
        ``text-languages`` extra) are not installed.
    """
    code = language_code(language)
    if not _importable("spacy"):
        raise ConfigError(
            "$.methods.shap.text_config",
            "text explanations need spaCy, which is not installed",
            f"install the text extra: {_TEXT_EXTRA}",
        )
    missing = _missing_packages(code)
    if missing:
        raise ConfigError(
            _WHERE,
            f"the '{code}' tokenizer needs {', '.join(missing)}, which "
            f"{'is' if len(missing) == 1 else 'are'} not installed",
            f"install the text-languages extra: {_LANGUAGES_EXTRA}",
        )


@functools.lru_cache(maxsize=8)
def _pipeline(code: str) -> Any:
    import spacy

    with warnings.catch_warnings():
        # spaCy's Japanese tokenizer calls SudachiPy's Dictionary.create(), which
        # SudachiPy 0.7 deprecates (DeprecationWarning); it works, and the call is
        # spaCy's, not ours: the warning would only alarm the job's users.
        warnings.simplefilter("ignore", DeprecationWarning)
        nlp = spacy.blank(code)
    nlp.add_pipe("sentencizer")
    return nlp


def segmenter(language: str, granularity: str) -> Segmenter:
    """The :class:`Segmenter` for a config's ``language`` and ``granularity``.

    Raises
    ------
    ConfigError
        The language is unknown or its packages are missing (:func:`check_available`).
    """
    check_available(language)
    code = language_code(language)
    try:
        nlp = _pipeline(code)
    except ImportError as exc:  # a language package present but broken
        raise ConfigError(
            _WHERE,
            f"the '{code}' tokenizer could not be loaded ({exc.name or 'a package'} failed "
            "to import)",
            f"reinstall the text-languages extra: {_LANGUAGES_EXTRA}",
        ) from exc
    return Segmenter(code, granularity, nlp)
