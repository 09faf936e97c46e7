"""Synthetic respondents: who answers a number, what they press, when they hang up.

Every draw comes from a ``random.Random`` seeded with (profile seed, number, attempt),
so that a run is reproducible. Rates are per call attempt except ``failed``, which is a
property of the number (a disconnected number stays disconnected).

A respondent listens to the prompt of each ``<Gather>`` and presses one of the keys it
announces ("按1" / "press 1"). The first ``<Gather>`` of a call is taken as the consent
question: its announced keys mean accept, refuse and (if there is a third) opt out; a
person silent at it (``consent_silence``) stays silent for the rest of the call.
For a question, the position among the ordinal keys follows a binomial with success
probability ``1 - satisfaction``, so a satisfied township presses the first (most
favourable) options more often. Keys 8, 9 and 0 are "don't know / refused" codes.
"""

from __future__ import annotations

import hashlib
import random
import re
from dataclasses import dataclass, field, fields

KEY_ANNOUNCEMENT = re.compile(
    r"(?:按|from\s*)(\d+)\s*(?:到|to)\s*(\d+)|(?:按|press\s*|key\s*)(\d|\*|#)", re.IGNORECASE)
SPECIAL_KEYS = ("8", "9", "0")
HANG_UP = "hang-up"


@dataclass
class Rates:
    """Per-attempt probabilities of the respondent's behaviour (0..1)."""

    no_answer: float = 0.12
    busy: float = 0.04
    machine: float = 0.08
    failed: float = 0.03
    refuse: float = 0.08
    opt_out: float = 0.01
    consent_silence: float = 0.02
    hang_up: float = 0.10
    silence: float = 0.03
    invalid_key: float = 0.03
    special_key: float = 0.03
    record_silence: float = 0.2


@dataclass
class Profile:
    """The simulated population: default rates, seed, and overrides per number prefix.

    ``groups`` maps an E.164 prefix to ``{"satisfaction": 0..1, <rate>: value, ...}``;
    the longest matching prefix wins. Without a group, a number's satisfaction comes
    from a hash of the number without its last four digits, so numbers that share a
    prefix (one township's block) share a mean satisfaction between 0.35 and 0.9.
    """

    seed: int = 2026
    rates: Rates = field(default_factory=Rates)
    groups: dict[str, dict] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, data: dict | None) -> Profile:
        data = dict(data or {})
        names = {f.name for f in fields(Rates)}
        rates = Rates(**{k: float(v) for k, v in (data.get("rates") or {}).items() if k in names})
        return cls(seed=int(data.get("seed", 2026)), rates=rates,
                   groups=dict(data.get("groups") or {}))

    def group_for(self, number: str) -> dict:
        best = ""
        for prefix in self.groups:
            if number.startswith(prefix) and len(prefix) > len(best):
                best = prefix
        return self.groups.get(best, {}) if best else {}

    def rates_for(self, number: str) -> Rates:
        group = self.group_for(number)
        base = vars(self.rates).copy()
        base.update({k: float(v) for k, v in group.items() if k in base})
        return Rates(**base)

    def satisfaction_for(self, number: str) -> float:
        group = self.group_for(number)
        if "satisfaction" in group:
            return float(group["satisfaction"])
        digest = hashlib.sha256(f"{self.seed}:{number[:-4]}".encode()).digest()
        return 0.35 + 0.55 * int.from_bytes(digest[:4], "big") / 2**32


def announced_keys(text: str) -> list[str]:
    """Keys a prompt announces, in order of first mention.

    A range ("按1到5", "from 0 to 10") is listed from its top down: on a rating scale
    the highest score is taken as the most favourable answer.
    """
    keys: list[str] = []
    for low, high, key in KEY_ANNOUNCEMENT.findall(text):
        found = [str(k) for k in range(int(high), int(low) - 1, -1)] if low else [key]
        keys.extend(k for k in found if k not in keys)
    return keys


class Respondent:
    """One person (or machine) at one number for one call attempt."""

    def __init__(self, profile: Profile, number: str, attempt: int):
        self.number = number
        self.rates = profile.rates_for(number)
        self.rng = random.Random(f"{profile.seed}:{number}:{attempt}")
        self._number_rng = random.Random(f"{profile.seed}:{number}")
        centre = profile.satisfaction_for(number)
        self.satisfaction = min(1.0, max(0.0, self.rng.gauss(centre, 0.12)))
        self.gathers = 0
        self.hang_up_at = (self.rng.randint(2, 7) if self.rng.random() < self.rates.hang_up
                           else None)
        # Drawn apart from ``rng`` so that the other draws of a seeded run stay as they were.
        self.silent = (random.Random(f"{profile.seed}:{number}:{attempt}:consent").random()
                       < self.rates.consent_silence)

    def outcome(self) -> str:
        """How the call ends up: failed, busy, no-answer, machine or human."""
        if self._number_rng.random() < self.rates.failed:
            return "failed"
        draw = self.rng.random()
        for name, rate in (("no-answer", self.rates.no_answer), ("busy", self.rates.busy),
                           ("machine", self.rates.machine)):
            if draw < rate:
                return name
            draw -= rate
        return "human"

    def press(self, prompt: str, num_digits: int | None) -> str | None:
        """Keys pressed after a prompt; None for silence, HANG_UP to hang up."""
        self.gathers += 1
        if self.hang_up_at is not None and self.gathers >= self.hang_up_at:
            return HANG_UP
        keys = announced_keys(prompt)
        if self.silent:
            return None
        if self.gathers == 1 and len(keys) >= 2:
            return self._consent(keys)
        if self.rng.random() < self.rates.silence:
            return None
        if keys and self.rng.random() < self.rates.invalid_key:
            return self.rng.choice([d for d in "1234567" if d not in keys] or ["*"])
        if not keys:
            return str(self.rng.randint(18, 80))[: num_digits or 2]
        special = [k for k in keys if k in SPECIAL_KEYS]
        ordinal = [k for k in keys if k not in SPECIAL_KEYS] or keys
        if special and self.rng.random() < self.rates.special_key:
            return self.rng.choice(special)
        position = sum(self.rng.random() < 1 - self.satisfaction
                       for _ in range(len(ordinal) - 1))
        return ordinal[position]

    def _consent(self, keys: list[str]) -> str:
        draw = self.rng.random()
        if len(keys) >= 3 and draw < self.rates.opt_out:
            return keys[2]
        if draw < self.rates.opt_out + self.rates.refuse:
            return keys[1]
        return keys[0]

    def speak(self, max_length: int) -> int:
        """Seconds of speech for a ``<Record>``; 0 is silence."""
        if self.rng.random() < self.rates.record_silence:
            return 0
        return min(max_length, self.rng.randint(3, 25))
