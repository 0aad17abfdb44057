"""The customer's turns of a conversation pasted as one text ("Customer: … / Agent: …").

Chat, phone-log and helpdesk exports often put a whole conversation in one field. Read whole, the agent's
scripted cheer ("Thanks so much for reaching out! Have a wonderful day!") outweighs the customer's anger, the
agent's questions ("Could you share your order number?") look like the customer's, and every conversation
of a template resembles the others. So when a text is a transcript — most of its lines start with a speaker
label, and there are at least two speakers — and one side can be told to be the customer, voxpop reads the
customer's turns only.

Who is the customer: a label naming a customer role ("Customer", "Visitor", "Guest", "Caller", "Me", "You",
"Passenger"…), or else the one speaker left when every other names the business's side ("Agent", "Support",
"Bot", "Front desk", "Dana (Acme Support)", "Sam from FibreNet", or a speaker who introduces themselves:
"Hi Paul, this is Nadia from…"). When nothing tells (two first names), the text is read whole.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# An optional time stamp ("[14:02]", "(09:12:33)", "10:41 AM -"), then a label of 1–5 words and a colon.
_TURN = re.compile(
    r"""^\s*
    (?:[\[(]?\d{1,2}:\d{2}(?::\d{2})?\s*(?:[AaPp]\.?[Mm]\.?)?[\])]?\s*[-–—]?\s*)?
    (?P<label>[^\W\d_][\w.'’&-]*(?:\s+[\w.'’&()-]+){0,4}?|\([^)]{1,40}\))
    \s*:\s+(?P<text>\S.*)$""",
    re.VERBOSE,
)

#: Words of a label that name the customer ("Customer", "Hotel guest", "Me").
CUSTOMER_ROLES = frozenset(
    str.split(
        "customer client visitor guest user caller me you buyer shopper patient passenger member tenant "
        "student subscriber policyholder consumer requester requestor contact traveller traveler diner rider "
        "driver applicant parent cardholder homeowner resident"
    )
)
#: Words of a label that name the business's side. Words a structured review also uses as a heading
#: ("Service: slow", "Staff: lovely") are left out, so such a review is not taken for a conversation.
BUSINESS_ROLES = frozenset(
    str.split(
        "agent support rep representative operator advisor adviser assistant bot chatbot helpdesk desk admin "
        "administrator moderator specialist associate concierge reception receptionist frontdesk seller "
        "technician handler admissions dispatcher coordinator supervisor consultant pharmacist nurse"
    )
)
#: Two-word labels of the business's side that contain a customer word.
BUSINESS_PHRASES = re.compile(r"\bcustomer\s+(?:service|care|support|success|experience|relations)\b", re.IGNORECASE)
#: Of a text's non-empty lines, at least this share must start a turn for it to be read as a transcript.
TURN_SHARE = 0.6


@dataclass(frozen=True)
class Transcript:
    """A conversation read out of a text: who the customer is, and their words."""

    customer: str  # the customer's label as written
    speakers: int
    turns: int  # the customer's turns
    text: str  # the customer's turns, one per line


def _words(label: str) -> set[str]:
    return set(re.findall(r"[a-z]+", label.lower()))


def _side(label: str, said: str) -> str | None:
    words = _words(label)
    if words & BUSINESS_ROLES or "(" in label or BUSINESS_PHRASES.search(label) or words & {"from", "at"}:
        return "business"
    name = re.escape(label.split()[0])
    introduced = rf"\b(?:this is|i'?m|i am|it'?s|my name is)\s+{name}\b|\b{name},? (?:here|from)\b"
    if re.search(introduced, said, re.IGNORECASE):
        return "business"  # "Hi Paul, this is Nadia from Willowbrook": an agent introducing themselves
    if words & CUSTOMER_ROLES:
        return "customer"
    return None


def customer_turns(text: str) -> Transcript | None:
    """The customer's turns when ``text`` is a transcript whose customer can be told; else ``None``."""
    if text.count("\n") < 1 or ":" not in text:
        return None
    lines = [line for line in text.splitlines() if line.strip()]
    turns: list[tuple[str, list[str]]] = []
    labelled = 0
    for line in lines:
        found = _TURN.match(line)
        if found is not None:
            labelled += 1
            turns.append((found["label"].strip(), [found["text"].strip()]))
        elif turns:
            turns[-1][1].append(line.strip())  # a turn that runs over several lines
    if labelled < 2 or labelled < TURN_SHARE * len(lines):
        return None
    labels = list(dict.fromkeys(label.lower() for label, _ in turns))
    if len(labels) < 2:
        return None
    written = {label.lower(): label for label, _ in turns}
    said = {label: " ".join(" ".join(words) for name, words in turns if name.lower() == label) for label in labels}
    sides = {label: _side(written[label], said[label]) for label in labels}
    customers = [label for label, side in sides.items() if side == "customer"]
    unknown = [label for label, side in sides.items() if side is None]
    if not customers and len(unknown) == 1:
        customers = unknown
    if len(customers) != 1:
        return None
    mine = [" ".join(words) for label, words in turns if label.lower() == customers[0]]
    return Transcript(written[customers[0]], len(labels), len(mine), "\n".join(mine))
