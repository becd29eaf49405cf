"""Money bookkeeping: the external accounts through which money enters and leaves the model.

Inside the model every transfer has a payer and a payee row (lab cash, cloud cash, fund dry
powder, ...), so internal transfers cannot create or destroy money. Money that enters from
outside (end customers, limited partners, parent companies, states, lenders) or leaves
(wages, energy, foundries, data-centre builders, governments, grey-market intermediaries) is
booked here against a named external account. Conservation (DESIGN.md §10) then reads:

    sum of internal balances now == at start + inflows - outflows   (to rounding)
"""

from __future__ import annotations

import numpy as np

EXTERNAL_ACCOUNTS: tuple[str, ...] = (
    "customers",  # end customers buying AI services
    "limited_partners",  # LP commitments to venture funds, and distributions back
    "parents",  # parent companies funding their labs, clouds' cash flow from other businesses
    "states",  # sovereign wealth allocations, subsidies
    "lenders",  # cloud debt and its interest
    "founders",  # founders' and employees' share of acquisition proceeds
    "wages",  # staff costs of labs and vendors
    "energy",  # electricity for data centres
    "foundry",  # chip production and vendor capacity investment
    "dc_builders",  # data-centre shells and power
    "governments",  # export revenue shares (H20 15 %), compliance costs
    "grey_market",  # premium paid to intermediaries for leaked chips
)
ACCOUNT_INDEX = {name: i for i, name in enumerate(EXTERNAL_ACCOUNTS)}


class Ledger:
    """Cumulative money flows across the model's boundary, USD B, by external account."""

    def __init__(self) -> None:
        self.inflow = np.zeros(len(EXTERNAL_ACCOUNTS))
        self.outflow = np.zeros(len(EXTERNAL_ACCOUNTS))
        self.opening_balance = 0.0

    def money_in(self, account: str, amount: float) -> None:
        """Book ``amount`` (USD B, >= 0) entering the model from ``account``."""
        self.inflow[ACCOUNT_INDEX[account]] += amount

    def money_out(self, account: str, amount: float) -> None:
        """Book ``amount`` (USD B, >= 0) leaving the model to ``account``."""
        self.outflow[ACCOUNT_INDEX[account]] += amount

    def expected_balance(self) -> float:
        """What the internal balances must sum to if no money was created or destroyed."""
        return self.opening_balance + float(self.inflow.sum() - self.outflow.sum())

    def as_dict(self) -> dict[str, dict[str, float]]:
        """Cumulative flows by account (for reports)."""
        return {
            name: {"in": float(self.inflow[i]), "out": float(self.outflow[i])}
            for i, name in enumerate(EXTERNAL_ACCOUNTS)
        }
