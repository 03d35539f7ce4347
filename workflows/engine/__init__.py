"""The durable engine: plans run as DBOS workflows, steps in parallel where the DAG allows."""

from workflows.engine.breaker import CircuitBreakers
from workflows.engine.calls import OperationCaller, StepPolicy
from workflows.engine.resilience import Budget, RateBudgets
from workflows.engine.runner import Engine, RunHandle, bind, no_pacing

__all__ = [
    "Budget",
    "CircuitBreakers",
    "Engine",
    "OperationCaller",
    "RateBudgets",
    "RunHandle",
    "StepPolicy",
    "bind",
    "no_pacing",
]
