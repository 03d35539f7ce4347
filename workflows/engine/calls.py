"""Calling one operation the way every step does: validated input, a time limit, retries with
backoff for transient failures, a circuit breaker per system, and a result that never raises.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any

import structlog
from pydantic import BaseModel, ValidationError
from tenacity import (
    AsyncRetrying,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential_jitter,
)

from workflows.catalog import AnyOperation, CallContext
from workflows.clock import Clock, SystemClock
from workflows.engine.breaker import CircuitBreakers
from workflows.errors import OperationError, OperationTimeout, PermanentOperationError
from workflows.results import FailureKind, StepResult

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class StepPolicy:
    """Time limit per attempt, attempts per call, and the backoff between attempts."""

    timeout_s: float = 10.0
    attempts: int = 3
    backoff_initial_s: float = 0.2
    backoff_max_s: float = 2.0


def _retryable(exc: BaseException) -> bool:
    return isinstance(exc, OperationError) and exc.retryable


@dataclass
class OperationCaller:
    policy: StepPolicy = field(default_factory=StepPolicy)
    breakers: CircuitBreakers = field(default_factory=CircuitBreakers)
    clock: Clock = field(default_factory=SystemClock)

    async def call(
        self,
        operation: AnyOperation,
        calls: list[dict[str, Any]],
        ctx: CallContext,
        *,
        fan_out: bool = False,
    ) -> StepResult:
        """Run the operation once per argument set (concurrently) and fold the outcomes.

        A fan-out step's output is the list of its successful outputs; it fails only if
        every call failed.
        """
        started, t0 = self.clock.now(), time.perf_counter()
        outcomes = await asyncio.gather(*(self._one(operation, a, ctx) for a in calls))
        base = {
            "step_id": ctx.step_id,
            "operation": operation.name,
            "system": operation.system,
            "started_at": started,
            "duration_ms": (time.perf_counter() - t0) * 1000,
            "attempts": max((o[2] for o in outcomes), default=0),
        }
        failures = [o for o in outcomes if o[1] is not None]
        if failures and len(failures) == len(outcomes):
            error, kind = failures[0][1] or ("", "internal")
            return StepResult(status="failed", error=error, failure=kind, **base)
        outputs = [o[0] for o in outcomes]
        output = [o for o in outputs if o is not None] if fan_out else outputs[0]
        return StepResult(status="ok", output=output, **base)

    async def _one(
        self, operation: AnyOperation, args: dict[str, Any], ctx: CallContext
    ) -> tuple[Any, tuple[str, FailureKind] | None, int]:
        try:
            payload = operation.input_model.model_validate(args)
        except ValidationError as exc:
            return None, (f"invalid input: {exc.errors()[0]['msg']}", "permanent"), 0
        if not self.breakers.allows(operation.system):
            return (
                None,
                (f"{operation.system} is failing; not asked for a while", "circuit_open"),
                0,
            )
        attempts = 0
        try:
            async for attempt in self._retrying():
                with attempt:
                    attempts += 1
                    output = await self._attempt(operation, payload, ctx)
        except OperationError as exc:
            self.breakers.failed(operation.system)
            return None, (str(exc), _kind(exc)), attempts
        except Exception as exc:  # a connector bug must cost its section, not the run
            log.exception("operation.crashed", operation=operation.name)
            self.breakers.failed(operation.system)
            return None, (f"internal error ({type(exc).__name__})", "internal"), attempts
        self.breakers.succeeded(operation.system)
        return output.model_dump(mode="json"), None, attempts

    def _retrying(self) -> AsyncRetrying:
        return AsyncRetrying(
            stop=stop_after_attempt(self.policy.attempts),
            wait=wait_exponential_jitter(
                multiplier=self.policy.backoff_initial_s,
                max=self.policy.backoff_max_s,
                jitter=self.policy.backoff_initial_s,
            ),
            retry=retry_if_exception(_retryable),
            reraise=True,
        )

    async def _attempt(
        self, operation: AnyOperation, payload: BaseModel, ctx: CallContext
    ) -> BaseModel:
        try:
            async with asyncio.timeout(self.policy.timeout_s):
                output: BaseModel = await operation.handler(payload, ctx)
        except TimeoutError:
            raise OperationTimeout(
                f"no answer within {self.policy.timeout_s:g}s", system=operation.system
            ) from None
        expected: type[BaseModel] = operation.output_model
        if not isinstance(output, expected):
            raise PermanentOperationError(
                f"{operation.name} returned {type(output).__name__}, "
                f"not {operation.output_model.__name__}",
                system=operation.system,
            )
        return output


def _kind(exc: OperationError) -> FailureKind:
    if isinstance(exc, OperationTimeout):
        return "timeout"
    return "transient" if exc.retryable else "permanent"


__all__ = ["OperationCaller", "StepPolicy"]
