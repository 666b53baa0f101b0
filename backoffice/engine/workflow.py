"""Declarative state machines for records: states, transitions, who may take them, guards."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Transition:
    key: str
    sources: tuple[str, ...]
    target: str
    label_zh: str
    label_en: str
    action: str = "edit"  # the permission action on the resource (approve, publish, ...)
    # maker ≠ checker: the user who took this earlier transition may not take this one
    not_by_maker_of: str = ""
    required_fields: tuple[str, ...] = ()
    # (session, record) → the i18n key of a refusal, or None
    guard: Callable[[Any, Any], str | None] | None = None
    # (session, principal, record) → a refusal or None: rules about who, e.g. only the assignee
    actor_guard: Callable[[Any, Any, Any], str | None] | None = None
    effect: Callable[[Any], None] | None = None  # record → changes made with the transition
    # (session, principal, record) after the change is written, in the same transaction: work
    # on other records, e.g. hiring a candidate creates the employee (audited on its own)
    after: Callable[[Any, Any, Any], None] | None = None
    assign_to: str = ""  # a field set to the username of whoever takes the transition
    bulk: bool = False  # offered on selected rows of the list

    def label(self, lang: str) -> str:
        return self.label_en if lang == "en" else self.label_zh


@dataclass(frozen=True)
class Workflow:
    state_field: str
    states: tuple[str, ...]
    initial: str
    transitions: tuple[Transition, ...] = field(default_factory=tuple)
    # states in which the record may still be edited (None: all); after a checker's
    # decision the record must not change under it
    editable_in: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        keys = [t.key for t in self.transitions]
        if len(keys) != len(set(keys)):
            raise ValueError("transition keys must be unique")
        for t in self.transitions:
            unknown = {*t.sources, t.target} - set(self.states)
            if unknown:
                raise ValueError(f"transition {t.key} names unknown states {unknown}")
            if t.not_by_maker_of and t.not_by_maker_of not in (*keys, "create"):
                raise ValueError(f"transition {t.key}: unknown maker transition")
        if self.initial not in self.states:
            raise ValueError("the initial state must be one of the states")

    def get(self, key: str) -> Transition | None:
        return next((t for t in self.transitions if t.key == key), None)

    def available_from(self, state: str) -> list[Transition]:
        return [t for t in self.transitions if state in t.sources]
