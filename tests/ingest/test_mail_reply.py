"""The sender's own words of an e-mail, with the quoted thread and the signature set apart."""

from __future__ import annotations

import pytest

from voxpop.ingest.live.mail_reply import split_reply

AGENT = "Hi Pat, thanks so much for reaching out! We're happy to help. Have a wonderful day!"


@pytest.mark.parametrize(
    "header",
    [
        "On Mon, Mar 3, 2025 at 10:00 AM Acme Support <support@acme.example> wrote:",
        "Le lun. 3 mars 2025 à 10:00, Acme Support <support@acme.example> a écrit :",
        "Am Mo., 3. März 2025 um 10:00 Uhr schrieb Acme Support <support@acme.example>:",
    ],
)
def test_a_quoted_reply_is_set_apart(header: str) -> None:
    body = f"The app still crashes on login.\n\n{header}\n> {AGENT}\n"
    reply = split_reply(body)
    assert reply.text == "The app still crashes on login."
    assert reply.quoted == AGENT


def test_an_outlook_block_is_set_apart() -> None:
    body = (
        "Still broken after the update.\n\n________________________________\nFrom: Acme Support <s@acme.example>\n"
        f"Sent: Monday, March 3, 2025 10:00 AM\nTo: Pat\nSubject: Re: ticket 88\n\n{AGENT}\n"
    )
    reply = split_reply(body)
    assert reply.text == "Still broken after the update."
    assert AGENT in reply.quoted


def test_html_quote_is_set_apart_and_tags_dropped() -> None:
    body = (
        "<div>Still no refund, <b>three weeks</b> now.</div><div class='gmail_quote'>"
        "<div>On Mon, Mar 3, 2025 Acme wrote:</div><blockquote class='gmail_quote'>Thanks so much!</blockquote></div>"
    )
    reply = split_reply(body, html=True)
    assert reply.text == "Still no refund, three weeks now."
    assert reply.quoted == "Thanks so much!"


@pytest.mark.parametrize(
    ("body", "text", "quoted"),
    [
        ("Great service, thank you\n\nSent from my iPhone", "Great service, thank you", "Sent from my iPhone"),
        ("Where is my parcel?\n-- \nKim Lee\nHead of Ops", "Where is my parcel?", "Kim Lee\nHead of Ops"),
        ("No quote and no signature here.", "No quote and no signature here.", ""),
        ("Sent from my iPhone", "Sent from my iPhone", ""),  # nothing else: kept as it is
        ("", "", ""),
    ],
)
def test_signatures(body: str, text: str, quoted: str) -> None:
    reply = split_reply(body)
    assert (reply.text, reply.quoted.removeprefix("-- ").strip()) == (text, quoted)


def test_a_bare_forward_stays_whole() -> None:
    body = (
        "---------- Forwarded message ---------\nFrom: Shop <shop@x.example>\nSubject: Order 1\n\nYour order shipped."
    )
    assert "Your order shipped." in split_reply(body).text
