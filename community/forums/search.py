"""Search over thread titles and posts that works for Japanese, which has no spaces.

Two indexes, chosen per query term by its length:

- Terms of 3 or more characters use trigrams: SQLite FTS5 with the `trigram` tokenizer, or
  PostgreSQL `pg_trgm` (a GIN `gin_trgm_ops` index answering ILIKE '%term%').
- Terms of 1 or 2 characters (二字熟語 such as 西川 or 温泉 are common queries) cannot use a
  trigram index: FTS5 trigram finds nothing under 3 characters and pg_trgm falls back to reading
  the whole index. For them every title and post also stores its distinct 1- and 2-character
  grams (`search_grams`, written with the text), indexed by FTS5 (unicode61) on SQLite and by a GIN
  index on `string_to_array(search_grams, ' ')` on PostgreSQL. A term is then one exact token
  lookup. Generating the grams ourselves keeps both databases on the same rules, costs one text
  column, and stays complete (a LIKE over "recent posts only" would miss old posts).

Both paths have substring semantics, so "西川" finds "西川町の温泉" on either database.
SQLite keeps the FTS tables in step with triggers (see migration 0004).
"""

from __future__ import annotations

import unicodedata

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement

from community.forums.models import ForumPost, ForumThread

#: Shortest term the trigram indexes can answer.
TRIGRAM = 3
#: Terms looked at per query, and their longest length, so one search stays cheap.
MAX_TERMS = 5
MAX_TERM_LENGTH = 100


def normalise(text: str) -> str:
    """Fold width and case (ＡＢＣ → abc, ｶﾀｶﾅ → カタカナ) the same way for texts and queries."""
    return unicodedata.normalize("NFKC", text).casefold()


def _runs(text: str) -> list[str]:
    """Split into runs of letters and digits; grams never span punctuation or spaces."""
    runs: list[str] = []
    current: list[str] = []
    for character in normalise(text):
        if character.isalnum():
            current.append(character)
        elif current:
            runs.append("".join(current))
            current = []
    if current:
        runs.append("".join(current))
    return runs


def marked_pieces(text: str, terms: list[str], width: int | None = None) -> list[tuple[str, bool]]:
    """Cut `text` into (piece, is_match) pieces, matching `terms` as search does (width and case
    folded). With `width`, only a window of that many characters around the first match is kept,
    with "…" where text was left out. The pieces are plain text: the template escapes each one and
    wraps the matches in <mark>, so nothing in a post can become markup."""
    folded: list[str] = []
    origin: list[int] = []
    for index, character in enumerate(text):
        for piece in normalise(character):
            folded.append(piece)
            origin.append(index)
    haystack = "".join(folded)
    spans: list[tuple[int, int]] = []
    for term in terms:
        start = 0
        while term and (at := haystack.find(term, start)) >= 0:
            spans.append((origin[at], origin[at + len(term) - 1] + 1))
            start = at + len(term)
    spans.sort()
    begin, end = 0, len(text)
    if width is not None and len(text) > width:
        first = spans[0][0] if spans else 0
        begin = max(0, first - width // 3)
        end = min(len(text), begin + width)
    pieces: list[tuple[str, bool]] = [("…", False)] if begin > 0 else []
    position = begin
    for span_start, span_end in spans:
        span_start, span_end = max(span_start, position), min(span_end, end)
        if span_start >= span_end:
            continue
        if span_start > position:
            pieces.append((text[position:span_start], False))
        pieces.append((text[span_start:span_end], True))
        position = span_end
    if position < end:
        pieces.append((text[position:end], False))
    if end < len(text):
        pieces.append(("…", False))
    return pieces


def grams_of(text: str) -> str:
    """Return the distinct 1- and 2-character grams of `text`, space-separated and sorted."""
    grams: set[str] = set()
    for run in _runs(text):
        grams.update(run)
        grams.update(run[i : i + 2] for i in range(len(run) - 1))
    return " ".join(sorted(grams))


def query_terms(query: str) -> list[str]:
    """Split a query on spaces (ASCII or 全角) into at most MAX_TERMS terms."""
    terms = [term[:MAX_TERM_LENGTH] for term in normalise(query).split()]
    return [term for term in terms if term][:MAX_TERMS]


def _short_gram(term: str) -> str | None:
    """The gram a 1–2 character term is looked up by (letters and digits only), or None."""
    kept = "".join(_runs(term))
    return kept if kept and len(kept) <= 2 else None


def _fts_phrase(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'


def _like_pattern(term: str) -> str:
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _condition(dialect: str, kind: str, term: str) -> ColumnElement[bool] | None:
    """One term's condition on posts (kind "post") or thread titles (kind "thread")."""
    model = ForumPost if kind == "post" else ForumThread
    text_column = ForumPost.body_source if kind == "post" else ForumThread.title
    if len(term) >= TRIGRAM:
        if dialect == "sqlite":
            return model.id.in_(_fts_ids(f"forum_{kind}s_trigram", term))
        return text_column.ilike(_like_pattern(term), escape="\\")
    gram = _short_gram(term)
    if gram is None:
        return None
    if dialect == "sqlite":
        return model.id.in_(_fts_ids(f"forum_{kind}s_grams", gram))
    # The literal separator keeps the expression identical to the GIN index's, so it is used.
    grams = sa.func.string_to_array(model.search_grams, sa.literal_column("' '"))
    return grams.op("@>")(sa.func.string_to_array(sa.literal(gram), sa.literal_column("' '")))


def _fts_ids(fts_table: str, term: str) -> sa.Select[tuple[int]]:
    table = sa.table(fts_table, sa.column("rowid"))
    return sa.select(table.c.rowid).where(sa.literal_column(fts_table).op("MATCH")(_fts_phrase(term)))


def match_all(dialect: str, kind: str, terms: list[str]) -> ColumnElement[bool] | None:
    """Return a condition true for posts (or threads) containing every term, or None if none can match."""
    conditions = [_condition(dialect, kind, term) for term in terms]
    if not conditions or any(condition is None for condition in conditions):
        return None
    return sa.and_(*conditions)  # type: ignore[arg-type]
