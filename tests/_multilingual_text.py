"""Project-made prose in the lesson's six languages, with each language's punctuation.

Written for these tests (no book is copied): short paragraphs of narration and
dialogue that use the marks whose spacing varies by language: spaced and
unspaced dashes, a dialogue dash opening a paragraph, « », Swedish » », „ ”,
‚ ‘, ¡ ¿, …, colon suffixes (EU:n, n:o, XIII:s) and note markers. ``book(lang,
paragraphs)`` repeats shuffled paragraphs (seeded) into a text long enough to
train a Punkt model on.
"""

from __future__ import annotations

import random

PARAGRAPHS: dict[str, tuple[str, ...]] = {
    "en": (
        "The rain had stopped by noon--or so it seemed--and the road was dry.",
        "'Where are you going?' asked the miller. 'To town,' said the boy.",
        '"Never!" cried the old woman. She shut the door… and waited.',
        "Mr. Brown came at ten; Mrs. Brown came later, with the letters.",
    ),
    "fi": (
        "Mies käveli rantaan -- ja pysähtyi. Vesi oli tyyni.",
        "»Mihin sinä menet?» kysyi äiti. »Kaupunkiin», vastasi poika.",
        "Hän luki EU:n päätöksen ja kirjeen n:o 326 ... sitten hän nukahti.",
        "Talvi tuli aikaisin. Järvi jäätyi jo lokakuussa, ja lapset iloitsivat.",
    ),
    "sv": (
        "Han gick ner till sjön – och stannade. Vattnet var stilla.",
        "»Vart ska du gå?» frågade modern. »Till staden», svarade pojken.",
        "Det var om »den där gamla båten» som de talade hela kvällen.",
        "Kung Karl XIII:s tid var lång. Hon läste EU:s brev två gånger.",
    ),
    "ru": (
        "Старик вышел на крыльцо — и остановился. Было тихо.",
        "— Куда ты идёшь? — спросила мать. — В город, — ответил мальчик.",
        "«Никогда!» — воскликнула старуха. Она надела куртку[11] и ушла.",
        "Зима пришла рано. Река замёрзла уже в октябре, и дети радовались.",
    ),
    "pl": (
        "Stary rybak wyszedł na brzeg — i przystanął. Było cicho.",
        "— Dokąd idziesz? — spytała matka. — Do miasta — odrzekł chłopiec.",
        "Powiedział: „Nigdy” i zamilkł. Mówiono o nim ‚dziwak‘ w całej wsi.",
        "Zima przyszła wcześnie. Rzeka zamarzła już w październiku, a dzieci się cieszyły.",
    ),
    "tl": (
        "¡Ang ganda ng umaga! Lumabas ang matanda sa bahay at tumingin sa dagat.",
        "¿Saan ka pupunta? tanong ng ina. Sa bayan po, sagot ng bata.",
        "Ang mga bata ay naglaro sa tabi ng ilog hanggang sa gumabi.",
        "Maagang dumating ang ulan. Basa ang daan, ngunit masaya ang lahat.",
    ),
}


def book(language: str, paragraphs: int = 600, *, seed: int = 0) -> str:
    """``paragraphs`` paragraphs of ``language``, shuffled (seeded), blank-line separated."""
    rng = random.Random(seed)
    pool = PARAGRAPHS[language]
    return "\n\n".join(rng.choice(pool) for _ in range(paragraphs)) + "\n"
