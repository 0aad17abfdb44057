"""Mail goes out over real SMTP to a local server, and stranger-written text cannot forge headers."""

from __future__ import annotations

import pytest

from tests.servers import SmtpSink
from voxpop.errors import ValidationError
from voxpop.notify.mail import Mail, MailError, send_all, send_mail
from voxpop.settings import Settings


def _settings(tmp_path, smtp: SmtpSink) -> Settings:  # type: ignore[no-untyped-def]
    return Settings(home=tmp_path, mail_from="Crumb & Kettle <hello@crumb.example>", **smtp.settings_overrides())


def test_a_mail_arrives_with_text_and_html(tmp_path, smtp_server: SmtpSink) -> None:  # type: ignore[no-untyped-def]
    settings = _settings(tmp_path, smtp_server)
    mail = Mail(
        to="ana@example.com",
        to_name="Ana Ruiz",
        subject="Thank you, Ana",
        text="Thanks for the kind words.",
        html="<p>Thanks for the <b>kind</b> words.</p>",
        headers={"List-Unsubscribe": "<https://crumb.example/u/abc>"},
    )
    message_id = send_mail(settings, mail)
    [received] = smtp_server.wait_for(1)
    assert received.recipients == ["ana@example.com"]
    assert received.subject == "Thank you, Ana"
    assert received.message["From"] == "Crumb & Kettle <hello@crumb.example>"
    assert received.message["To"] == "Ana Ruiz <ana@example.com>"
    assert received.message["List-Unsubscribe"] == "<https://crumb.example/u/abc>"
    assert received.message["Message-ID"] == message_id
    assert received.part("plain").strip() == "Thanks for the kind words."
    assert "<b>kind</b>" in received.part("html")


def test_several_mails_share_one_connection(tmp_path, smtp_server: SmtpSink) -> None:  # type: ignore[no-untyped-def]
    settings = _settings(tmp_path, smtp_server)
    ids = send_all(settings, [Mail(to=f"c{i}@example.com", subject=f"n{i}", text="hi") for i in range(3)])
    received = smtp_server.wait_for(3)
    assert len(set(ids)) == 3
    assert sorted(m.subject for m in received) == ["n0", "n1", "n2"]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("to", "eve@example.com\nBcc: victim@example.com"),
        ("reply_to", "eve@example.com\r\nBcc: victim@example.com"),
    ],
)
def test_line_breaks_in_headers_are_refused(tmp_path, smtp_server: SmtpSink, field: str, value: str) -> None:  # type: ignore[no-untyped-def]
    fields = {"to": "ana@example.com", "subject": "Hi", "text": "body", field: value}
    with pytest.raises(ValidationError, match="line break"):
        send_mail(_settings(tmp_path, smtp_server), Mail(**fields))
    assert smtp_server.messages == []


@pytest.mark.parametrize("breaker", ["\r\n", "\n", "\r", "\u2028", "\x0b", "\x85"])
def test_stranger_text_in_the_subject_and_name_is_folded_onto_one_line(  # type: ignore[no-untyped-def]
    tmp_path, smtp_server: SmtpSink, breaker: str
) -> None:
    hostile = f"Eve{breaker}Bcc: victim@example.com{breaker}X-Evil: 1"
    send_mail(_settings(tmp_path, smtp_server), Mail(to="ana@example.com", to_name=hostile, subject=hostile, text="t"))
    [received] = smtp_server.wait_for(1)
    assert received.recipients == ["ana@example.com"]  # no second recipient smuggled in
    assert received.message["Bcc"] is None
    assert received.message["X-Evil"] is None
    assert received.subject == "Eve Bcc: victim@example.com X-Evil: 1"  # the words kept, as one line
    assert "victim@example.com" not in str(received.message["To"]).split("<")[-1]


def test_unconfigured_or_unreachable_mail_says_so(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(MailError, match="not configured"):
        send_mail(Settings(home=tmp_path), Mail(to="a@example.com", subject="s", text="t"))
    closed = Settings(home=tmp_path, smtp_host="127.0.0.1", smtp_port=1, smtp_security="none")
    with pytest.raises(MailError, match="cannot reach"):
        send_mail(closed, Mail(to="a@example.com", subject="s", text="t"))
