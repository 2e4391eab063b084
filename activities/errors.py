"""Business errors end an activity at once; everything else is retried.

A ``DomainError`` (an unknown SKU, postal code or location, an invalid order, a movement
the books refuse) will not change on a retry: the activity raises it as a non-retryable
``ApplicationError`` whose ``type`` is the error's class name (so the workflow and the
API can tell which), and Temporal does not retry it whatever the retry policy lists.
Subclasses count too (an ``UnknownPostalCode`` is an ``InvalidOrder``), which exact
names in ``non_retryable_error_types`` never caught. Infrastructure errors (a database
restarting, a network blip) are not domain errors and are retried with backoff.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any, TypeVar

from temporalio.exceptions import ApplicationError

from domain.errors import DomainError

F = TypeVar("F", bound=Callable[..., Any])


def final(error: DomainError) -> ApplicationError:
    """``error`` as a non-retryable activity failure, typed by its class name."""
    return ApplicationError(str(error), type=type(error).__name__, non_retryable=True)


def business_errors_are_final(fn: F) -> F:
    """Wrap an activity (sync or async) so a ``DomainError`` fails it for good."""
    if inspect.iscoroutinefunction(fn):

        @functools.wraps(fn)
        async def run_async(*args: Any, **kwargs: Any) -> Any:
            try:
                return await fn(*args, **kwargs)
            except DomainError as error:
                raise final(error) from error

        return run_async  # type: ignore[return-value]

    @functools.wraps(fn)
    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except DomainError as error:
            raise final(error) from error

    return run  # type: ignore[return-value]
