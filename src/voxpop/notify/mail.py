"""Sending e-mail over SMTP with the standard library.

Every mail voxpop sends (alerts, digests, promoter outreach, survey invitations, idea-board news) goes
through :func:`send_mail` or a :class:`Mailer`, so the SMTP settings, the From: line and the defences
live in one place:

* no header value can hold a line break, so text that came from a stranger can never add a header or a
  recipient (e-mail header injection): the free-text ones a stranger may have written (the subject, which
  can quote an idea's title, and the recipient's display name) are folded onto one line, so one hostile
  name cannot stop a batch of mails; addresses and other headers with a line break are refused;
* a message has a plain-text part always and an HTML part when given — the HTML is the caller's job
  to escape (render it with an autoescaping Jinja environment);
* the password is a ``SecretStr`` and is never logged.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formataddr, make_msgid, parseaddr
from types import TracebackType

from voxpop.errors import ValidationError, VoxpopError
from voxpop.settings import Settings

log = logging.getLogger(__name__)


class MailError(VoxpopError):
    """The mail could not be sent (not configured, refused, unreachable)."""


@dataclass(frozen=True)
class Mail:
    to: str
    subject: str
    text: str
    html: str | None = None
    to_name: str | None = None
    reply_to: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)  # e.g. List-Unsubscribe


def _clean_header(name: str, value: str) -> str:
    if "\r" in value or "\n" in value:
        raise ValidationError(f"the mail header {name} may not contain a line break")
    return value


def _one_line(value: str) -> str:
    """Free text for a header: every run of whitespace (CR, LF, U+2028 and the rest) becomes one space."""
    return " ".join(value.split())


def _check_address(name: str, value: str) -> str:
    _clean_header(name, value)
    _, address = parseaddr(value)
    if "@" not in address or any(c.isspace() for c in address):
        raise ValidationError(f"{name}: {value!r} is not an e-mail address")
    return value


def build_message(settings: Settings, mail: Mail) -> EmailMessage:
    """The MIME message for ``mail``; raises ``ValidationError`` for an unsafe or invalid header."""
    message = EmailMessage()
    message["From"] = _check_address("From", settings.mail_from)
    to = _check_address("To", mail.to)
    message["To"] = formataddr((_one_line(mail.to_name), to)) if mail.to_name else to
    message["Subject"] = _one_line(mail.subject)
    if mail.reply_to:
        message["Reply-To"] = _check_address("Reply-To", mail.reply_to)
    domain = parseaddr(settings.mail_from)[1].rpartition("@")[2] or "localhost"
    message["Message-ID"] = make_msgid(domain=domain)
    for name, value in mail.headers.items():
        message[_clean_header("header name", name)] = _clean_header(name, value)
    message.set_content(mail.text)
    if mail.html is not None:
        message.add_alternative(mail.html, subtype="html")
    return message


class Mailer:
    """One SMTP connection for a batch of mails: ``with Mailer(settings) as mailer: mailer.send(mail)``."""

    def __init__(self, settings: Settings) -> None:
        if not settings.smtp_host:
            raise MailError("mail is not configured: set VOXPOP_SMTP_HOST (and the other smtp_* settings)")
        self.settings = settings
        self._smtp: smtplib.SMTP | None = None

    def __enter__(self) -> Mailer:
        s = self.settings
        try:
            if s.smtp_security == "ssl":
                smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                    s.smtp_host, s.smtp_port, timeout=s.smtp_timeout_seconds, context=ssl.create_default_context()
                )
            else:
                smtp = smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=s.smtp_timeout_seconds)
                if s.smtp_security == "starttls":
                    smtp.starttls(context=ssl.create_default_context())
            if s.smtp_username:
                smtp.login(s.smtp_username, s.smtp_password.get_secret_value())
        except (OSError, smtplib.SMTPException) as exc:
            raise MailError(f"cannot reach the SMTP server {s.smtp_host}:{s.smtp_port}: {exc}") from exc
        self._smtp = smtp
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except (OSError, smtplib.SMTPException):
                self._smtp.close()
            self._smtp = None

    def send(self, mail: Mail) -> str:
        """Send one mail; returns its Message-ID."""
        if self._smtp is None:
            raise RuntimeError("use the Mailer as a context manager")
        message = build_message(self.settings, mail)
        try:
            self._smtp.send_message(message)
        except (OSError, smtplib.SMTPException) as exc:
            raise MailError(f"the SMTP server refused the mail to {mail.to}: {exc}") from exc
        log.info("mail sent to %s: %s", mail.to, mail.subject)
        return str(message["Message-ID"])


def send_mail(settings: Settings, mail: Mail) -> str:
    """Send one mail on a connection of its own; returns its Message-ID."""
    with Mailer(settings) as mailer:
        return mailer.send(mail)


def send_all(settings: Settings, mails: Iterable[Mail]) -> list[str]:
    """Send several mails on one connection; returns their Message-IDs."""
    with Mailer(settings) as mailer:
        return [mailer.send(mail) for mail in mails]
