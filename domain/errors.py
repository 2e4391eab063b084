"""Business errors, named after business facts.

The API maps each to one HTTP status; activities raise them as non-retryable
``ApplicationError``s whose ``type`` is the class name.
"""

from __future__ import annotations


class DomainError(Exception):
    """Base class for a business rule that said no."""


class InvalidOrder(DomainError):
    """The order cannot be accepted as given; ``field`` names the offending input."""

    def __init__(self, message: str, field: str | tuple[str | int, ...] = ()) -> None:
        super().__init__(message)
        self.field: tuple[str | int, ...] = (field,) if isinstance(field, str) else tuple(field)


class UnknownSku(InvalidOrder):
    """An order or stock movement names a SKU that is not in the catalogue."""


class UnknownPostalCode(InvalidOrder):
    """A postal code that is not a known US ZIP."""


class UnknownLocation(DomainError):
    """A location id that is not in the network."""


class OutOfStock(DomainError):
    """A reservation asked for more units than a location has available."""

    def __init__(self, message: str, location_id: str = "", sku: str = "") -> None:
        super().__init__(message)
        self.location_id = location_id
        self.sku = sku


class NoRoute(DomainError):
    """No plan satisfies the order under the routing rules and current stock."""


class UnknownFulfillment(DomainError):
    """No such fulfillment, or it belongs to another location."""

    @classmethod
    def named(cls, fulfillment_id: str | None) -> UnknownFulfillment:
        """The refusal in the same words whether the fulfillment does not exist or is
        another location's, so a location learns nothing of other locations' packages."""
        return cls(f"no fulfillment {fulfillment_id!r}")


class InvalidTransition(DomainError):
    """A location event that makes no sense in the fulfillment's current state."""


class OrderConflict(DomainError):
    """The same order id was sent again with a different body."""


class CancelRefused(DomainError):
    """A cancel the order's state does not allow (something shipped, or it has ended)."""


class RerouteRefused(DomainError):
    """A reroute the order's state does not allow (nothing open there, no other plan)."""


class RepairRefused(DomainError):
    """A repair of held stock refused: the order's workflow still runs and owns its units."""


class ReturnRefused(DomainError):
    """A return the order does not allow: a line that never shipped, more than shipped
    (less earlier returns), past the return window, or a location that takes no returns."""


class UnknownReturn(DomainError):
    """No such return, or one coming back to another location."""

    @classmethod
    def named(cls, return_id: str) -> UnknownReturn:
        """The same words whether the return does not exist or is another location's."""
        return cls(f"no return {return_id!r}")


class ReturnEventRefused(DomainError):
    """A return location's report that does not fit the return (a line not in it, more
    units than authorized, a return already received or expired)."""


class HoldRefused(DomainError):
    """A hold or a release the order's state does not allow (it ended, everything is
    already with its locations, that hold is already on, or there is none to release)."""
