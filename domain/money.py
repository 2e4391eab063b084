"""Money on an order: what each line costs, in which currency, and what the order's lines
add up to. Amounts are ``Decimal`` end to end, written as decimal strings on the wire
(``"24.00"``), never floats: a float cannot hold 0.10, and a refund that is a cent off is
a ticket.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Protocol

# Up to 4 decimals (a few currencies have 3; unit prices sometimes carry a 4th) and up to
# 10 digits before the point: more than any one line of any order.
PRICE_DIGITS = 14
PRICE_DECIMALS = 4

DEFAULT_CURRENCY = "USD"
# The active ISO 4217 currency codes (funds and precious metals left out).
_ISO_4217 = """
AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD
BTN BWP BYN BZD CAD CDF CHF CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB
EUR FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK
JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA
MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK
PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN
SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD UYU UZS VES VND VUV WST
XAF XCD XCG XOF XPF YER ZAR ZMW ZWG
"""
CURRENCIES = frozenset(_ISO_4217.split())


class _Priced(Protocol):
    @property
    def quantity(self) -> int: ...

    @property
    def unit_price(self) -> Decimal | None: ...


def subtotal(lines: Iterable[_Priced]) -> Decimal | None:
    """What the lines add up to (quantity x unit price); None when no line has a price
    (an order placed without prices keeps working, and says nothing about money)."""
    priced = [line for line in lines if line.unit_price is not None]
    if not priced:
        return None
    return sum((line.quantity * (line.unit_price or Decimal(0)) for line in priced), Decimal(0))


def is_currency(code: str) -> bool:
    return code in CURRENCIES
