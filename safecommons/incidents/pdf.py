"""The commendation certificate: one landscape A4 page drawn with the PDF core fonts only.

The core fonts cover Latin-1. Other text is brought as close as it can be (accents dropped, typographic
quotes and dashes made plain, a few letters spelled out) and anything left is shown as '?', so that no
name or citation can make the certificate fail.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

PAGE_WIDTH = 297  # mm, A4 landscape
PAGE_HEIGHT = 210
MARGIN = 18
TEXT_WIDTH = PAGE_WIDTH - 2 * MARGIN - 20

# Letters NFKD does not take apart, and punctuation outside Latin-1 that people type every day.
_PLAIN = str.maketrans({
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"',
    "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2015": "-", "\u2212": "-",
    "\u2026": "...", "\u2022": "*", "\u20ac": "EUR", "\u2122": "TM", "\u00a0": " ", "\u202f": " ",
    "\u0141": "L", "\u0142": "l", "\u0110": "D", "\u0111": "d", "\u0152": "OE", "\u0153": "oe",
    "\u0131": "i", "\u0126": "H", "\u0127": "h", "\u0166": "T", "\u0167": "t", "\u014a": "N", "\u014b": "n",
})


def latin1_text(text: str) -> str:
    """`text` in characters the core fonts can draw."""
    text = str(text).translate(_PLAIN)
    drawn = []
    for char in text:
        if ord(char) < 256:
            drawn.append(char)
            continue
        # "Ş" -> "S", "ő" -> "o": the base letter when the character decomposes into one
        base = "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c))
        drawn.append(base if base and all(ord(c) < 256 for c in base) else "?")
    return "".join(drawn)


@dataclass(frozen=True)
class CertificateText:
    """Everything printed on a certificate, already in the reader's language."""

    agency: str
    heading: str  # "Community Commendation"
    presented_to: str  # "is presented to"
    recipient: str
    title: str
    citation: str
    date_label: str
    date: str
    number_label: str
    number: str
    issued_by_label: str
    issued_by: str  # name, and role when known


def certificate_pdf(text: CertificateText) -> bytes:
    """The certificate as PDF bytes: always one page, the citation's type made smaller when it is long."""
    from fpdf import FPDF

    pdf = FPDF(orientation="L", format="A4")
    pdf.set_auto_page_break(auto=False)
    pdf.set_margins(MARGIN, MARGIN, MARGIN)
    pdf.set_title(latin1_text(f"{text.heading} {text.number}"))
    pdf.set_author(latin1_text(text.agency))
    pdf.add_page()

    # A double frame
    pdf.set_draw_color(40, 60, 110)
    pdf.set_line_width(1.2)
    pdf.rect(8, 8, PAGE_WIDTH - 16, PAGE_HEIGHT - 16)
    pdf.set_line_width(0.3)
    pdf.rect(12, 12, PAGE_WIDTH - 24, PAGE_HEIGHT - 24)

    def centred(value: str, family: str, style: str, size: float, height: float) -> None:
        pdf.set_font(family, style, size)
        pdf.set_x((PAGE_WIDTH - TEXT_WIDTH) / 2)
        pdf.multi_cell(TEXT_WIDTH, height, latin1_text(value), align="C", new_x="LMARGIN", new_y="NEXT")

    pdf.set_y(30)
    pdf.set_text_color(40, 60, 110)
    centred(text.agency.upper(), "Helvetica", "B", 15, 7)
    pdf.ln(4)
    centred(text.heading, "Times", "B", 34, 14)
    pdf.set_text_color(0, 0, 0)
    pdf.ln(4)
    centred(text.presented_to, "Times", "I", 14, 7)
    pdf.ln(2)
    centred(text.recipient, "Times", "B", 28, 12)
    pdf.ln(3)
    centred(text.title, "Helvetica", "B", 15, 7)
    pdf.ln(6)
    size = 12 if len(text.citation) <= 450 else 10 if len(text.citation) <= 800 else 8.5
    centred(text.citation, "Times", "", size, size * 0.5)

    # The foot: date, issuer and number, in three columns above the frame
    column = (PAGE_WIDTH - 2 * MARGIN - 10) / 3
    foot_y = PAGE_HEIGHT - 42
    pdf.set_draw_color(0, 0, 0)
    pdf.set_line_width(0.2)
    for index, (label, value) in enumerate(((text.date_label, text.date),
                                           (text.issued_by_label, text.issued_by),
                                           (text.number_label, text.number))):
        x = MARGIN + 5 + index * column
        pdf.line(x + 8, foot_y, x + column - 8, foot_y)
        pdf.set_xy(x, foot_y + 1.5)
        pdf.set_font("Helvetica", "", 11)
        pdf.multi_cell(column, 5.5, latin1_text(value), align="C", new_x="LEFT", new_y="NEXT")
        pdf.set_x(x)
        pdf.set_font("Helvetica", "I", 8.5)
        pdf.cell(column, 4.5, latin1_text(label), align="C")
    return bytes(pdf.output())
