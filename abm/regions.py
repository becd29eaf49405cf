"""Regions and blocs (DESIGN.md §2).

Every agent has a home region. Blocs group regions for the bifurcation metrics: the US-led
bloc (US and its allies), China, and the non-aligned rest (Gulf states, rest of world).
Export-control *tiers* are deliberately not here: they are a rule parameter
(``export_control.tiers``) because the 2025 diffusion rule changed them.
"""

from typing import Literal

REGIONS: tuple[str, ...] = ("US", "ALLY", "CN", "GULF", "ROW")
Region = Literal["US", "ALLY", "CN", "GULF", "ROW"]
N_REGIONS = len(REGIONS)
US, ALLY, CN, GULF, ROW = range(N_REGIONS)
REGION_INDEX = {name: i for i, name in enumerate(REGIONS)}

BLOCS: tuple[str, ...] = ("WEST", "CN", "OTHER")
WEST_BLOC, CN_BLOC, OTHER_BLOC = range(len(BLOCS))
BLOC_OF_REGION = (WEST_BLOC, WEST_BLOC, CN_BLOC, OTHER_BLOC, OTHER_BLOC)
"""Bloc index of each region index: US and ALLY form the US-led bloc."""
