"""What an import did, counted by outcome, and the record-by-record report staff download."""

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from catalog.importing.preview import ACTIONS, Outcome

REPORT_HEADER = ("number", "isbn", "title", "action", "reasons")


@dataclass
class Tally:
    """How many records each outcome had."""

    counts: Counter = field(default_factory=Counter)

    @classmethod
    def of(cls, outcomes: Iterable[Outcome]) -> "Tally":
        tally = cls()
        for outcome in outcomes:
            tally.add(outcome)
        return tally

    def add(self, outcome: Outcome) -> Outcome:
        self.counts[outcome.action] += 1
        return outcome

    @property
    def records(self) -> int:
        return sum(self.counts.values())

    def as_dict(self) -> dict[str, int]:
        return {action: self.counts[action] for action in ACTIONS}

    def __str__(self) -> str:
        return ", ".join(f"{count} {action}" for action, count in self.as_dict().items())


def report_row(outcome: Outcome) -> tuple:
    """One record's row of the report (its reasons joined by "; ")."""
    return (
        outcome.number,
        outcome.isbn or "",
        outcome.title,
        outcome.action,
        "; ".join(outcome.reasons),
    )
