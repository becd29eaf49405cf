"""Calendar quarters: one model step is one quarter, labelled like ``2023Q4``."""

import re

_LABEL = re.compile(r"^(\d{4})Q([1-4])$")


def parse_quarter(label: str) -> int:
    """Return the absolute quarter index (``year * 4 + quarter - 1``) of a label like ``2023Q4``."""
    m = _LABEL.match(label)
    if m is None:
        raise ValueError(f"{label!r} is not a quarter label like '2023Q4'")
    return int(m.group(1)) * 4 + int(m.group(2)) - 1


def quarter_label(index: int) -> str:
    """Inverse of :func:`parse_quarter`."""
    return f"{index // 4}Q{index % 4 + 1}"


def year_of(index: int) -> int:
    """Calendar year of an absolute quarter index."""
    return index // 4
