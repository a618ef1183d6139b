"""What overflows a rendered PDF page: WeasyPrint's own layout of a report, box by box."""

from __future__ import annotations

from pathlib import Path

#: Boxes a reader would see cut: tables and their cells, charts, figures, paragraphs.
MEASURED = {"table", "td", "th", "svg", "img", "figure", "figcaption", "p", "li", "caption"}


def overflowing(html_path: Path, tolerance: float = 0.5) -> list[str]:
    """Every measured box of the report as it is printed (`reports.output.printable`)
    that ends beyond its page's content area (or starts before it), as
    "page N: <tag id/class> ends at X > Y"."""
    from reports.output import printable

    document = printable(html_path).render()
    found = []
    for number, page in enumerate(document.pages, start=1):
        root = page._page_box  # noqa: SLF001 - the layout WeasyPrint printed
        left = root.content_box_x()
        right = left + root.width
        for box in root.descendants():
            tag = str(getattr(box, "element_tag", None)).rsplit("}", 1)[-1]
            if tag not in MEASURED or not hasattr(box, "margin_width"):
                continue
            start = box.position_x + box.margin_left
            end = box.position_x + box.margin_width() - box.margin_right
            if end > right + tolerance or start < left - tolerance:
                element = getattr(box, "element", None)
                name = tag
                if element is not None:
                    name += f"#{element.get('id')}" if element.get("id") else ""
                    name += f".{element.get('class')}" if element.get("class") else ""
                found.append(
                    f"page {number}: <{name}> spans {start:.0f}-{end:.0f}, "
                    f"page {left:.0f}-{right:.0f}"
                )
    return found
