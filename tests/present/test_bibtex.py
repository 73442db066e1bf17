"""BibTeX from stored metadata (``/saved bibtex``): escaping, authors, unique keys."""

from __future__ import annotations

import datetime as dt

from digestbot.present.bibtex import bibtex_escape, citation_key, render_bibtex
from tests.present.test_html import paper


def test_special_characters_are_escaped() -> None:
    assert bibtex_escape("M$^{2}$UGen: Q&A 100% #1 a_b ~x \\y") == (
        "M\\$\\textasciicircum{}\\{2\\}\\$UGen: Q\\&A 100\\% \\#1 a\\_b "
        "\\textasciitilde{}x \\textbackslash{}y"
    )
    assert bibtex_escape("  two\n lines ") == "two lines"


def test_an_entry_carries_the_arxiv_metadata() -> None:
    bib = render_bibtex([paper(title="Q&A at Scale", authors=("Léo Müller", "Bob Li"))])
    assert bib == (
        "@misc{muller2025qa,\n"
        "  title = {{Q\\&A at Scale}},\n"
        "  author = {Léo Müller and Bob Li},\n"
        "  year = {2025},\n"
        "  eprint = {2502.11089},\n"
        "  archivePrefix = {arXiv},\n"
        "  url = {https://arxiv.org/abs/2502.11089}\n"
        "}\n"
    )


def test_keys_are_unique_and_partial_author_lists_say_so() -> None:
    a = paper(title="The Sparse Attention", authors=("Zhenda Xie",))
    b = paper(arxiv_id="2502.11090", title="Sparse attention again", authors=("Zhenda Xie",))
    c = paper(arxiv_id="2502.11091", title="Sparse", authors=("Zhenda Xie",), more_authors=True)
    bib = render_bibtex([a, b, c])
    assert citation_key(a) == "xie2025sparse"  # the first word that is not "the", "a"…
    assert [line for line in bib.splitlines() if line.startswith("@misc")] == [
        "@misc{xie2025sparse,",
        "@misc{xie2025sparseb,",
        "@misc{xie2025sparsec,",
    ]
    assert "author = {Zhenda Xie and others}" in bib


def test_an_old_style_id_takes_the_year_of_its_digest() -> None:
    old = paper(arxiv_id="hep-th/9901001", authors=(), day=dt.date(2024, 3, 15), title="X")
    bib = render_bibtex([old])
    assert "year = {2024}" in bib and "author" not in bib
    assert bib.startswith("@misc{arxiv2024x,")
