"""Producer credit lines at the edges of a Gutenberg body are stripped with the header.

The headers below follow real Project Gutenberg files of several decades
(the books are made up; the credit wording is the volunteers' usual one).
"""

from __future__ import annotations

import pytest

from lab.text.gutenberg import MAX_CREDIT_LINES, strip_credits, strip_gutenberg

BODY = (
    "                            A MADE-UP NOVEL\n\n\nCHAPTER I.\n\n"
    "It was a bright cold day, and the clocks were striking.\n\n"
    "    An indented verse line,\n    and another.\n"
)

MODERN = """The Project Gutenberg eBook of A Made-up Novel

This ebook is for the use of anyone anywhere in the United States and
most other parts of the world at no cost and with almost no restrictions
whatsoever.

Title: A Made-up Novel

Author: Nobody

Release date: August 26, 2008 [eBook #1342]
                Most recently updated: June 17, 2024

Language: English

Credits: Anonymous Volunteers and David Widger


*** START OF THE PROJECT GUTENBERG EBOOK A MADE-UP NOVEL ***
{credits}
{body}

*** END OF THE PROJECT GUTENBERG EBOOK A MADE-UP NOVEL ***

Updated editions will replace the previous one—the old editions will
be renamed.
"""

CREDITS = {
    "one line": "\n\n\nProduced by Anonymous Volunteers, and David Widger\n\n\n\n",
    "wrapped": (
        "\nProduced by Charles Aldarondo, Charles Franks and the Online\n"
        "Distributed Proofreading Team.\n\n\n"
    ),
    "e-text and html note": (
        "\n\n\nE-text prepared by Juliet Sutherland, Sankar Viswanathan,\n"
        "and the Project Gutenberg Online Distributed Proofreading Team\n"
        "(http://www.pgdp.net)\n\n\n\n"
        "Note: Project Gutenberg also has an HTML version of this\n"
        "      file which includes the original illustrations.\n"
        "      See 12345-h.htm or 12345-h.zip:\n"
        "      (http://www.gutenberg.org/files/12345/12345-h/12345-h.htm)\n"
        "      or\n"
        "      (http://www.gutenberg.org/files/12345/12345-h.zip)\n\n\n\n"
    ),
    "this ebook was": "\nThis eBook was produced by David Widger <widger@cecomet.net>\n\n",
    "etext was prepared": "\n\nThis etext was prepared by Judith Boss, Omaha, Nebraska.\n\n\n",
    "transcribed from": (
        "\nTranscribed from the 1891 Cassell & Company edition by David Price, email\n"
        "ccx074@pglaf.org\n\n\n\n"
    ),
    "produced from images": (
        "\nProduced by Suzanne Shell and the Online Distributed\n"
        "Proofreading Team at http://www.pgdp.net\n\n"
        "This file was produced from images generously made available\n"
        "by The Internet Archive/American Libraries.\n\n\n"
    ),
}


@pytest.mark.parametrize("credits", CREDITS.values(), ids=CREDITS.keys())
def test_credits_after_the_start_marker_are_dropped(credits: str) -> None:
    raw = MODERN.format(credits=credits, body=BODY)
    assert strip_gutenberg(raw) == BODY


def test_credit_before_the_end_marker_is_dropped_too() -> None:
    raw = MODERN.format(
        credits="", body=BODY + "\n\n\n\nProduced by Ben Crowder <crowderb@blankslate.net>\n"
    )
    assert strip_gutenberg(raw) == BODY


def test_1990s_small_print_header_with_credits() -> None:
    raw = (
        "**The Project Gutenberg Etext of A Made-up Novel**\n\n"
        "*END*THE SMALL PRINT! FOR PUBLIC DOMAIN ETEXTS*Ver.04.29.93*END*\n\n\n\n"
        "Etext prepared by Dianne Bean, Prescott Valley, Arizona.\n\n\n"
        f"{BODY}\n\nEnd of The Project Gutenberg Etext of A Made-up Novel\n"
    )
    assert strip_gutenberg(raw) == BODY


@pytest.mark.parametrize(
    "opening",
    [
        "[Transcriber's Note: Obvious typographical errors have been corrected.\n"
        "The spelling of the original has otherwise been kept.]",
        "Prepared by this speech to hear something very difficult to be\nunderstood, Anne looked grave.",
        "Produced by the Lyceum company, the play ran for a year.\n"
        + "More words.\n" * MAX_CREDIT_LINES,  # one line more than a credit may have
    ],
    ids=["transcriber's note", "prose opening 'Prepared by'", "long paragraph"],
)
def test_paragraphs_that_are_not_credits_are_kept(opening: str) -> None:
    body = f"{opening.rstrip()}\n\n{BODY}"
    assert strip_gutenberg(MODERN.format(credits="\n\n", body=body)) == body


def test_only_the_edges_are_looked_at() -> None:
    body = BODY + "\nProduced by the heat, the fog rose.\n\nAnd the story went on.\n"
    assert strip_gutenberg(MODERN.format(credits=CREDITS["one line"], body=body)) == body
    assert strip_credits("CHAPTER I\n\nProduced by nobody at all.\n\nMore.\n").startswith(
        "CHAPTER I"
    )


def test_text_without_markers_keeps_its_credit_lines() -> None:
    """Only Gutenberg files are edited: a user's own text (or NLTK's copy) is left as it is."""
    text = "Produced by me, for my class.\n\n" + BODY
    assert strip_gutenberg(text) == text
