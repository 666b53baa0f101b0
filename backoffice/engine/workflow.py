"""Declarative state machines for records: states, transitions, who may take them, guards."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from backoffice.i18n import translate

# permission actions whose transitions are a checker's decision (maker ≠ checker applies)
APPROVING_ACTIONS = ("approve", "publish")


@dataclass(frozen=True)
class ContentPart:
    """Records of another resource that are part of a record's content: their changes (these
    audit verbs) since the record was made count as changes of it (maker ≠ checker)."""

    resource: str  # the part's resource key, its audit entity
    via: str  # the part's field that holds …
    matches: str = "id"  # … this record's field (its id: the part belongs to it)
    verbs: tuple[str, ...] = ("create", "edit", "attach", "detach", "archive", "restore")


@dataclass(frozen=True)
class Transition:
    key: str
    sources: tuple[str, ...]
    target: str
    action: str = "edit"  # the permission action on the resource (approve, publish, ...)
    # Maker ≠ checker holds for every approving transition (its action is approve or publish,
    # or it says approving=True): whoever created, changed or submitted the record's content
    # since it was last approved may not take it (engine/service.makers). A transition that
    # opts out states why in maker_checker_exempt.
    approving: bool = False
    maker_checker_exempt: str = ""
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
    label_key: str = ""  # "transition.<resource>.<key>", set by the resource declaring it

    def label(self, lang: str) -> str:
        return translate(self.label_key, lang)

    @property
    def is_approving(self) -> bool:
        return self.approving or self.action in APPROVING_ACTIONS

    @property
    def checks_maker(self) -> bool:
        """Refused to whoever made the content since its last approval."""
        return self.is_approving and not self.maker_checker_exempt.strip()


@dataclass(frozen=True)
class Workflow:
    state_field: str
    states: tuple[str, ...]
    initial: str
    transitions: tuple[Transition, ...] = field(default_factory=tuple)
    # states in which the record may still be edited (None: all); after a checker's
    # decision the record must not change under it
    editable_in: tuple[str, ...] | None = None
    # states in which the record waits for a checker: an edit there sends it back to
    # returns_to (the initial state when empty) in the same write, so its request is void;
    # a transition into one of them (not approving) is a submission, its taker a maker
    awaiting_approval: tuple[str, ...] = ()
    returns_to: str = ""
    # audit verbs on the record, besides create, edit, attach and detach, that change its
    # content (scoring a KYC case)
    content_actions: tuple[str, ...] = ()
    # other resources' records that are part of the content (a questionnaire's questions)
    content_parts: tuple[ContentPart, ...] = ()

    def __post_init__(self) -> None:
        keys = [t.key for t in self.transitions]
        if len(keys) != len(set(keys)):
            raise ValueError("transition keys must be unique")
        for t in self.transitions:
            unknown = {*t.sources, t.target} - set(self.states)
            if unknown:
                raise ValueError(f"transition {t.key} names unknown states {unknown}")
        if self.initial not in self.states:
            raise ValueError("the initial state must be one of the states")
        unknown = {*self.awaiting_approval, self.back_state} - set(self.states)
        if unknown:
            raise ValueError(f"unknown awaiting or return states {unknown}")
        if self.editable_in is not None and self.awaiting_approval:
            if self.back_state not in self.editable_in:
                raise ValueError("an edit must send a record back to an editable state")

    def labelled(self, prefix: str) -> Workflow:
        """This workflow with its transitions labelled by the catalogue's ``<prefix>.<key>``."""
        steps = tuple(replace(t, label_key=f"{prefix}.{t.key}") for t in self.transitions)
        return replace(self, transitions=steps)

    def get(self, key: str) -> Transition | None:
        return next((t for t in self.transitions if t.key == key), None)

    def available_from(self, state: str) -> list[Transition]:
        return [t for t in self.transitions if state in t.sources]

    @property
    def back_state(self) -> str:
        """Where an edit sends a record that waits for approval."""
        return self.returns_to or self.initial

    def submits(self, transition: Transition) -> bool:
        """Puts the record up for approval: whoever takes it is one of its makers."""
        return transition.target in self.awaiting_approval and not transition.is_approving

    def closes_round(self, transition: Transition) -> bool:
        """An approval: a checked decision that does not leave the content where it is
        prepared (a send-back keeps its makers; they still may not approve it)."""
        preparing = {
            self.back_state,
            *self.awaiting_approval,
            *(s for t in self.transitions if self.submits(t) for s in t.sources),
        }
        return transition.checks_maker and transition.target not in preparing

    def editable(self, state: str) -> bool:
        """An edit is allowed (in an awaiting state it sends the record back)."""
        return (
            self.editable_in is None or state in self.editable_in or state in self.awaiting_approval
        )
