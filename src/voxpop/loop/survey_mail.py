"""Survey invitations by e-mail, with the first scored question's buttons inside the mail.

Each recipient's links are signed (``loop.signing``): the personal link names the recipient, a score
button names the recipient, the question and the score. One click on a button records the score and
opens the personal page, which asks the follow-up; clicking again (or another button) changes the same
response — a recipient owns one response, so an answer is never stored twice. Customers who opted out
(``customers.unsubscribed_at``) are never mailed, and every mail carries a signed unsubscribe link.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from voxpop.accounts.audit import record
from voxpop.errors import ValidationError
from voxpop.loop.mailtext import render_mail
from voxpop.loop.signing import sign, unsign
from voxpop.loop.surveys import SCALES, get_survey, is_open
from voxpop.notify.mail import Mail, Mailer, MailError
from voxpop.settings import Settings
from voxpop.store import Store
from voxpop.store.models import Customer, User
from voxpop.store.models.loop import Survey, SurveyRecipient

LINK_MAX_AGE = 90 * 24 * 3600  # a personal link or score button works for 90 days (and while the survey is open)
UNSUBSCRIBE_MAX_AGE = 2 * 365 * 24 * 3600


def normalise_email(value: str, where: str = "email") -> str:
    email = value.strip().lower()
    if not email or "@" not in email or any(c.isspace() for c in email) or len(email) > 320 or "\x00" in email:
        raise ValidationError(f"{where}: {value!r} is not an e-mail address")
    return email


def add_recipients(session: Session, survey: Survey, people: list[tuple[str, str | None]]) -> tuple[int, int]:
    """Invite ``(email, name)`` pairs (validated first, all or nothing); returns (added, already invited)."""
    checked = [
        (normalise_email(e, f"line {n}"), (name or "").strip()[:200] or None) for n, (e, name) in enumerate(people, 1)
    ]
    known = set(session.scalars(select(SurveyRecipient.email).where(SurveyRecipient.survey_id == survey.id)))
    added = 0
    for email, name in checked:
        if email in known:
            continue
        known.add(email)
        session.add(SurveyRecipient(survey_id=survey.id, email=email, name=name))
        added += 1
    session.flush()
    return added, len(checked) - added


def recipient_token(settings: Settings, recipient: SurveyRecipient) -> str:
    return sign(settings, "survey-recipient", recipient.id)


def recipient_from_token(settings: Settings, token: str) -> int:
    value = unsign(settings, "survey-recipient", token, max_age_seconds=LINK_MAX_AGE)
    if not isinstance(value, int):
        raise ValidationError("this survey link is not valid")
    return value


def score_token(settings: Settings, recipient: SurveyRecipient, question_id: int, score: int) -> str:
    return sign(settings, "survey-score", [recipient.id, question_id, score])


def score_from_token(settings: Settings, token: str) -> tuple[int, int, int]:
    value = unsign(settings, "survey-score", token, max_age_seconds=LINK_MAX_AGE)
    if not (isinstance(value, list) and len(value) == 3 and all(isinstance(v, int) for v in value)):
        raise ValidationError("this score link is not valid")
    return value[0], value[1], value[2]


def unsubscribe_token(settings: Settings, email: str) -> str:
    return sign(settings, "unsubscribe", email)


def unsubscribe(session: Session, settings: Settings, token: str) -> str:
    """Honour a signed unsubscribe link: the customer (created if unknown) is marked; returns the e-mail."""
    email = unsign(settings, "unsubscribe", token, max_age_seconds=UNSUBSCRIBE_MAX_AGE)
    if not isinstance(email, str):
        raise ValidationError("this unsubscribe link is not valid")
    customer = session.scalars(select(Customer).where(func.lower(Customer.email) == email)).first()
    if customer is None:
        customer = Customer(email=email, handles={}, attributes={})
        session.add(customer)
    if customer.unsubscribed_at is None:
        customer.unsubscribed_at = datetime.now(UTC)
        record(session, "unsubscribe", actor=email, object_type="customer", via="survey mail")
    session.flush()
    return email


def unsubscribed(session: Session, emails: list[str]) -> set[str]:
    if not emails:
        return set()
    rows = session.scalars(
        select(func.lower(Customer.email)).where(
            func.lower(Customer.email).in_(emails), Customer.unsubscribed_at.is_not(None)
        )
    )
    return {str(e) for e in rows}


def invitation_mail(settings: Settings, survey: Survey, recipient: SurveyRecipient) -> Mail:
    base = settings.base_url.rstrip("/")
    personal = f"{base}/s/{survey.slug}/r/{recipient_token(settings, recipient)}"
    question = next((q for q in survey.questions if q.kind in SCALES), None)
    links: list[tuple[int, str]] = []
    if question is not None:
        low, high = SCALES[question.kind]
        links = [
            (s, f"{base}/s/{survey.slug}/score/{score_token(settings, recipient, question.id, s)}")
            for s in range(low, high + 1)
        ]
    unsubscribe_link = f"{base}/s/unsubscribe/{unsubscribe_token(settings, recipient.email)}"
    business = settings.business_name or "We"
    text, html = render_mail(
        "survey_invitation",
        name=recipient.name,
        business=business,
        survey=survey,
        question=question,
        score_links=links,
        survey_link=personal,
        unsubscribe_link=unsubscribe_link,
    )
    return Mail(
        to=recipient.email,
        to_name=recipient.name,
        subject=f"{survey.title}"[:200],
        text=text,
        html=html,
        headers={"List-Unsubscribe": f"<{unsubscribe_link}>"},
    )


@dataclass
class SendResult:
    sent: int = 0
    opted_out: int = 0
    errors: list[str] = field(default_factory=list)


def send_invitations(store: Store, survey_id: int, *, user: User | None = None) -> SendResult:
    """Mail every recipient not mailed yet (opted-out customers skipped); each send is recorded and audited.

    Idempotent: a recipient is mailed once (``sent_at``), so running it again mails only new recipients.
    """
    settings = store.settings
    result = SendResult()
    with store.read() as session:
        survey = get_survey(session, survey_id)
        if not is_open(survey):
            raise ValidationError("this survey is closed: open it before inviting")
        pending = list(
            session.scalars(
                select(SurveyRecipient)
                .where(SurveyRecipient.survey_id == survey.id, SurveyRecipient.sent_at.is_(None))
                .order_by(SurveyRecipient.id)
            )
        )
        blocked = unsubscribed(session, [r.email for r in pending])
        mails = [(r.id, r.email, invitation_mail(settings, survey, r)) for r in pending if r.email not in blocked]
    result.opted_out = len(pending) - len(mails)
    if not mails:
        return result
    with Mailer(settings) as mailer:
        for recipient_id, email, mail in mails:
            try:
                mailer.send(mail)
            except MailError as exc:
                result.errors.append(f"{email}: {exc}")
                continue
            with store.write() as session:
                row = session.get(SurveyRecipient, recipient_id)
                if row is not None:
                    row.sent_at = datetime.now(UTC)
                record(session, "survey_invite_sent", user=user, object_type="survey", object_id=survey_id, to=email)
            result.sent += 1
    return result
