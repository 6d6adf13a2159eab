"""The engine's one error hierarchy.

    EvolveError
     +-- ConfigError      a config file or option is wrong
     +-- LLMError         a model cannot be reached or configured
     |    +-- BudgetExhausted  a budget (calls, tokens, dollars, time) is spent
     +-- PatchError       an LLM reply cannot be turned into a program

The leaf packages have their own base errors, since they import nothing of the engine:
`problems.ProblemError`, `archive.ArchiveError`, `sandbox.SandboxError`. The CLI catches
those and `EvolveError` alike and prints one line. Messages say what to do, e.g.
"set OPENAI_API_KEY or pass --model builtin:mutate".
"""

from __future__ import annotations

__all__ = [
    "BudgetExhausted",
    "ConfigError",
    "EvolveError",
    "LLMError",
    "PatchError",
]


class EvolveError(Exception):
    """Base of every error the engine raises on purpose."""


class ConfigError(EvolveError):
    """A configuration file or command-line option is invalid."""


class LLMError(EvolveError):
    """A model cannot be configured or reached."""


class BudgetExhausted(LLMError):
    """A run budget (calls, tokens, dollars or wall time) is spent."""


class PatchError(EvolveError):
    """An LLM reply cannot be turned into a valid child program.

    `kind` is a short machine-readable reason stored with the failed program: "no_code",
    "truncated", "syntax_error", "search_not_found", "ambiguous_search",
    "outside_evolve_block", "missing_entry", "unmergeable" (see evolve/patches).
    """

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind
