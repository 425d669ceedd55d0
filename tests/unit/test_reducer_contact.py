"""The reducer, contact reports: message outcomes, bounces and completed calls."""

from __future__ import annotations

import pytest

from schemas.enums import Channel
from schemas.events import EventBase
from tests.builders import (
    apply,
    at,
    call_completed,
    contact,
    message,
)
from tests.unit.reducer_helpers import (
    I1,
)

# messages: (id, event, channel bounced for good, contact flags)
MESSAGES = [
    (
        "permanent-bounce-blocks-the-channel",
        message("bounced", "i1/1", "email"),
        [Channel.EMAIL],
        {"bounced": True},
    ),
    (
        "temporary-bounce-only-flags-the-contact",
        message("bounced", "i1/1", "email", permanent=False),
        [],
        {"bounced": True},
    ),
    (
        "bounce-of-unknown-decision-still-blocks",
        message("bounced", "zz/1", "sms"),
        [Channel.SMS],
        {},
    ),
    ("delivered", message("delivered", "i1/1", "email"), [], {"delivered": True}),
    ("opened", message("opened", "i1/1", "email"), [], {"opened": True}),
    ("clicked", message("clicked", "i1/1", "email"), [], {"clicked": True}),
    ("sent-changes-nothing", message("sent", "i1/1", "email"), [], {}),
]


@pytest.mark.parametrize(
    ("event", "bounced", "flags"), [pytest.param(*case[1:], id=case[0]) for case in MESSAGES]
)
def test_message_reports(event: EventBase, bounced: list[Channel], flags: dict[str, bool]) -> None:
    state, _ = apply(I1)
    assert state is not None
    state.contacts.append(contact("i1", "2026-10-05T06:00", "email"))
    state, _ = apply(event, state=state)
    assert state is not None
    assert state.bounced == bounced
    record = state.contacts[0]
    for flag in ("delivered", "opened", "clicked", "bounced"):
        assert getattr(record, flag) is flags.get(flag, False), flag


def test_a_repeated_permanent_bounce_lists_the_channel_once() -> None:
    state, _ = apply(message("bounced", channel="email"), message("bounced", channel="email"))
    assert state is not None and state.bounced == [Channel.EMAIL]


@pytest.mark.parametrize(
    ("calls", "last"),
    [
        pytest.param([("reached", "2026-10-05T10:00")], "2026-10-05T10:00", id="reached"),
        pytest.param(
            [("promise_to_pay", "2026-10-05T10:00")],
            "2026-10-05T10:00",
            id="promise-is-a-conversation",
        ),
        pytest.param([("no_answer", "2026-10-05T10:00")], None, id="no-answer-is-no-conversation"),
        pytest.param(
            [("reached", "2026-10-05T10:00"), ("no_answer", "2026-10-07T10:00")],
            "2026-10-05T10:00",
            id="no-answer-keeps-the-last-conversation",
        ),
        pytest.param(
            [("reached", "2026-10-05T10:00"), ("reached", "2026-10-01T10:00")],
            "2026-10-05T10:00",
            id="an-older-call-reported-late-does-not-move-it-back",
        ),
    ],
)
def test_call_completed(calls: list[tuple[str, str]], last: str | None) -> None:
    state, _ = apply(*(call_completed(outcome=o, at=t) for o, t in calls))
    assert state is not None
    assert state.last_conversation_at == (at(last) if last else None)
