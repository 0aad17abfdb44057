"""The tone check's phrase rules: each category's patterns, written with their variants, with the softer
wording offered and why the phrase reads badly. :mod:`voxpop.act.replies.tone` applies them."""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Rule:
    category: str
    pattern: re.Pattern[str]
    suggestion: str
    why: str


# Shorthands for writing the patterns: YOU_ARE matches "you are", "you're", "you were", "u r"…
YOU_ARE = r"(?:you\s+are|you'?re|you\s+were|u\s+r|ur)"
WE_ARE = r"(?:we\s+are|we'?re|we\s+were|i\s+am|i'?m)"
NOT = r"(?:not|n't|never)"
ALREADY = r"(?:already|previously|before|repeatedly|several\s+times|multiple\s+times|many\s+times|twice)"
TOLD = r"(?:told|said|explained|mentioned|stated|informed|advised|pointed\s+out|made\s+clear)"
POLICY = r"(?:policy|policies|rules|terms(?:\s+and\s+conditions)?|t&cs?)"


def _rule(category: str, alternatives: tuple[str, ...], suggestion: str, why: str) -> Rule:
    return Rule(category, re.compile("|".join(alternatives), re.IGNORECASE), suggestion, why)


CALM = "I understand how frustrating this is"
RECAP = "to recap"
SORRY = "I'm sorry this happened, and I'd like to help"
PLAIN = "(say plainly what you mean)"
SARCASM = "sarcasm reads as contempt in writing"

RULES: tuple[Rule, ...] = (
    # aggressive: telling the customer how to feel or behave, insults, pushing them away
    _rule(
        "aggressive",
        (
            r"\b(?:calm|settle|cool)\s+down\b",
            r"\bchill\s+out\b",
            r"\btake\s+a\s+(?:deep\s+)?breath\b",
            r"(?:^|[.!?]\s+)(?:just\s+|please\s+)?relax\b[,.!]",
            r"\b(?:maybe|just|try\s+to|you\s+(?:need|should|have)\s+to)\s+relax\b",
        ),
        CALM,
        "tells the customer how to feel",
    ),
    _rule(
        "aggressive",
        (r"\b(?:stop|quit)\s+(?:whining|complaining|moaning|crying|yelling|shouting|being\s+\w+)\b",),
        "I hear you, and I want to help",
        "orders the customer about",
    ),
    _rule(
        "aggressive",
        (
            r"\bhow\s+dare\s+you\b",
            r"\bshut\s+up\b",
            r"\bgrow\s+up\b",
            r"\bget\s+over\s+it\b",
            r"\bwhat(?:'s|\s+is)\s+wrong\s+with\s+you\b",
            r"\byou\s+should\s+be\s+ashamed\b",
            r"\bshame\s+on\s+you\b",
        ),
        "I'm sorry this has been so frustrating",
        "hostile",
    ),
    _rule(
        "aggressive",
        (r"\byou\s+people\b", r"\bpeople\s+like\s+you\b", r"\bcustomers?\s+like\s+you\b"),
        "you",
        "treats the customer as a type, not a person",
    ),
    _rule(
        "aggressive",
        (
            r"\b(?:ridiculous|absurd|nonsense|pathetic|childish|stupid|silly|laughable|rude)\b"
            r"(?!\s+(?:of\s+us|on\s+our\s+part|wait|delay))",
        ),
        "(leave the judgement out, and describe what happened)",
        "judges the customer",
    ),
    _rule(
        "aggressive",
        (r"\b(?:you(?:'re|\s+are)\s+)?(?:lying|a\s+liar)\b", r"\bmade\s+(?:this|it|that)\s+up\b"),
        "our records show something different, and I'd like to understand what happened",
        "accuses the customer",
    ),
    _rule(
        "aggressive",
        (
            r"\b(?:go|take\s+your\s+(?:business|money|custom))\s+(?:somewhere\s+)?elsewhere\b",
            r"\b(?:don'?t|do\s+not|never)\s+(?:bother\s+)?(?:coming|come)\s+back\b",
            r"\byou(?:'re|\s+are)\s+(?:not\s+)?welcome\s+to\s+(?:leave|go)\b",
            r"\bbanned\b",
        ),
        "we'd welcome the chance to do better for you",
        "pushes the customer away",
    ),
    _rule(
        "aggressive",
        (
            r"\blearn\s+(?:how\s+)?to\s+read\b",
            r"\bcan'?t\s+you\s+read\b",
            r"\bdid\s+you\s+(?:even\s+)?(?:read|bother)\b",
        ),
        "this may not have been clear, so here it is again",
        "belittles the customer",
    ),
    # blaming: putting the fault on the customer
    _rule(
        "blaming",
        (
            rf"\b{YOU_ARE}\s+(?:simply\s+|just\s+|completely\s+|clearly\s+)?"
            r"(?:wrong|mistaken|incorrect|confused|misinformed)\b",
            r"\byou\s+(?:have\s+|'ve\s+)?got\s+(?:it|this|that)\s+(?:all\s+)?wrong\b",
        ),
        "I see this differently, and I'd like to explain",
        "tells the customer they are wrong",
    ),
    _rule(
        "blaming",
        (
            r"\byour\s+(?:own\s+)?(?:fault|mistake|error|problem|responsibility)\b",
            r"\b(?:the\s+)?(?:fault|mistake|error)\s+(?:was|is)\s+yours\b",
            r"\buser\s+error\b",
            r"\bon\s+your\s+(?:end|side)\b",
        ),
        "let's work out together what went wrong",
        "blames the customer",
    ),
    _rule(
        "blaming",
        (r"\byou\s+(?:should|ought\s+to|could)\s*(?:'ve|\s+have)\s+(?!received|got|been|heard|seen\s+an?\s)\w+\b",),
        "next time, it may help to …",
        "tells the customer what they should have done",
    ),
    _rule(
        "blaming",
        (
            r"\byou\s+(?:failed|neglected|forgot|chose|decided|refused)\s+to\b",
            r"\byou\s+(?:did\s*n[o']t|never)\s+(?:read|follow|check|call|contact|bother|tell|mention|ask|book|cancel|inform)\w*\b",
            r"\bhad\s+you\s+(?:\w+\s+)?(?:read|arrived|checked|followed|called|booked|listened|told|asked|come|bothered)\b",
            r"\bwhat\s+(?:did|do|else\s+did)\s+you\s+expect\b",
            r"\bnext\s+time,?\s+(?:maybe|perhaps|try)\s+(?:don'?t|not\s+to)\b",
            r"\bif\s+you\s+(?:had|'d)\s+(?:actually\s+|only\s+|just\s+)?"
            r"(?:read|followed|checked|listened|bothered|paid\s+attention|called|booked)\b",
        ),
        "it looks like … didn't happen; here is how we can fix it",
        "blames the customer",
    ),
    _rule(
        "blaming",
        (
            r"\b(?:clearly|obviously|evidently|apparently)\s+you\b",
            r"\byou\s+(?:clearly|obviously|evidently)\b",
            r"\byou\s+must\s+have\s+(?:misread|misunderstood|forgotten|missed|ignored)\b",
            r"\byou\s+misunderstood\b",
        ),
        "it seems there was a misunderstanding, which I'm sorry about",
        "assumes the customer is at fault",
    ),
    # defensive: denying, contradicting, hiding behind rules
    _rule(
        "defensive",
        (
            rf"\b(?:it|this|that)\s*(?:'s|\s+is|\s+was)\s+{NOT}\s+(?:really\s+)?(?:our|my)\s+"
            r"(?:fault|problem|responsibility|issue|concern|job|mistake)\b",
            r"\bnot\s+(?:our|my)\s+(?:fault|problem|responsibility|concern)\b",
            rf"\b{WE_ARE}\s+(?:not|n't)\s+(?:responsible|liable|to\s+blame|at\s+fault|accountable)\b",
            r"\bwe\s+(?:take|accept)\s+no\s+(?:responsibility|liability)\b",
            r"\bno\s+fault\s+of\s+ours\b",
        ),
        "I'm sorry this happened; let us look into it",
        "denies responsibility",
    ),
    _rule(
        "defensive",
        (
            r"\bwe\s+(?:did|have\s+done|'ve\s+done)\s+(?:nothing|everything)\s+(?:wrong|right|correctly)\b",
            r"\bwe\s+do\s+nothing\s+wrong\b",
            r"\bwe\s+stand\s+by\s+(?:our|the|this|that)\b",
            r"\bwith\s+(?:all\s+)?due\s+respect\b",
            r"\bin\s+our\s+defen[cs]e\b",
            r"\bfor\s+the\s+record\b",
        ),
        "we'd like to understand what went wrong",
        "defends instead of listening",
    ),
    _rule(
        "defensive",
        (
            r"\b(?:that|this|it)(?:'s|\s+is)\s+(?:simply\s+|just\s+|absolutely\s+|completely\s+)?"
            r"(?:not\s+true|untrue|false|incorrect|inaccurate)\b",
            r"\bsimply\s+(?:not\s+true|untrue|false)\b",
        ),
        "our records show something different; could you tell us more?",
        "contradicts the customer",
    ),
    _rule(
        "defensive",
        (
            r"\b(?:there(?:'s|\s+is)|we\s+have)\s+nothing\s+(?:more\s+|else\s+)?(?:we\s+can\s+do|to\s+be\s+done)\b",
            r"\bnothing\s+(?:more\s+|else\s+)?(?:we|I)\s+can\s+do\b",
            r"\bour\s+hands\s+are\s+tied\b",
            r"\bout\s+of\s+our\s+hands\b",
            r"\bwe\s+(?:won'?t|will\s+not)\s+be\s+(?:offering|giving|refunding|compensating)\b",
        ),
        "here is what we can do",
        "closes the door",
    ),
    _rule(
        "defensive",
        (
            rf"\b(?:per|as\s+per|according\s+to|in\s+(?:line|accordance)\s+with|under)\s+(?:our\s+|the\s+)?"
            rf"(?:company\s+)?{POLICY}\b",
            rf"\b(?:our|company)\s+{POLICY}\s+(?:clearly\s+)?(?:states?|says?|is\s+clear)\b",
            r"\brules\s+are\s+rules\b",
        ),
        "the way this works is …, and here is what we can do for you",
        "hides behind policy",
    ),
    # dismissive: brushing the customer off
    _rule(
        "dismissive",
        (
            rf"\bas\s+(?:we|i)\s+(?:have\s+|'ve\s+|had\s+)?{ALREADY}\s+{TOLD}\b",
            rf"\bas\s+(?:we|i)\s+(?:have\s+|'ve\s+)?{TOLD}\s+(?:you\s+)?{ALREADY}\b",
            rf"\bas\s+{ALREADY}\s+{TOLD}\b",
            rf"\b(?:we|i)\s+(?:have\s+|'ve\s+)?{ALREADY}\s+{TOLD}\s+you\b",
            rf"\byou\s+(?:were|have\s+been)\s+{ALREADY}\s+(?:told|informed|advised)\b",
            r"\blike\s+(?:we|i)\s+(?:said|told\s+you)\b",
            r"\bfor\s+the\s+(?:last|hundredth|third)\s+time\b",
            r"\bhow\s+many\s+times\b",
            r"\b(?:we|i)\s+(?:have\s+|'ve\s+)?(?:already\s+)?(?:answered|addressed|responded\s+to)\s+this\s+already\b",
            r"\b(?:we|i)(?:'ve|\s+have)\s+been\s+(?:over|through)\s+this\b",
            r"\bwill\s+not\s+be\s+(?:discussed|entertained|considered)\s+(?:any\s+)?further\b",
            r"\bno\s+further\s+(?:correspondence|discussion)\b",
            r"\bplease\s+stop\s+(?:writing|e-?mailing|calling|contacting|messaging)\b",
        ),
        RECAP,
        "implies the customer is not listening",
    ),
    _rule(
        "dismissive",
        (
            r"\b(?:no\s+one|nobody|no\s+other\s+(?:customer|guest)s?)\s+(?:else\s+)?(?:has\s+)?(?:ever\s+)?"
            r"(?:complain|had\s+(?:a|any|this)\s+(?:problem|issue)|mention)\w*\b",
            r"\bother\s+(?:customers|guests|people)\s+(?:don'?t|do\s+not|never|did\s*n[o']t)\s+"
            r"(?:complain|have|mind|seem)\w*\b",
            r"\byou(?:'re|\s+are)\s+the\s+only\s+one\b",
        ),
        "I'm sorry this was your experience",
        "dismisses the complaint",
    ),
    _rule(
        "dismissive",
        (
            r"\bsorry\s+(?:that\s+|if\s+)?you\s+(?:feel|felt)\s+(?:that\s+way|this\s+way|so)\b",
            r"\bsorry\s+if\s+you\s+(?:feel|felt|were|thought|think)\b",
            r"\bif\s+you\s+(?:don'?t|do\s+not)\s+like\s+it\b",
            r"\btake\s+it\s+or\s+leave\s+it\b",
            r"\bit\s+is\s+what\s+it\s+is\b",
            r"\bdeal\s+with\s+it\b",
            r"\bwhatever[.!]",
            r"\b(?:not\s+a|no)\s+big\s+deal\b",
            r"\bcan'?t\s+please\s+everyone\b",
            r"\bmoving\s+on\b",
        ),
        SORRY,
        "brushes the customer off",
    ),
    _rule(
        "dismissive",
        (
            r"\b(?:read|check|see)\s+(?:the|our)\s+(?:faq|website|manual|terms|documentation|docs)\b",
            r"\b(?:it|this)(?:'s|\s+is|\s+was)\s+(?:clearly\s+)?(?:stated|written|explained|printed)\s+(?:on|in)\b",
            r"\bgoogle\s+it\b",
        ),
        "here is the answer (with a link for later)",
        "sends the customer away to read",
    ),
    # sarcastic
    _rule(
        "sarcastic",
        (
            r"\bthanks?\s+(?:you\s+)?for\s+nothing\b",
            r"\bgood\s+luck\s+with\s+that\b",
            r"\bsorry\s+not\s+sorry\b",
            r"\bnice\s+try\b",
            r"\byeah,?\s+right\b",
            r"\bbless\s+your\s+heart\b",
            r"\bwow,?\s+just\s+wow\b",
            r"\bheaven\s+forbid\b",
            r"\bmust\s+be\s+nice\b",
            r"\bi'?m\s+sure\s+you\s+(?:know|do|did|would)\b",
            r"\bcongratulations\s+on\s+(?:finding|being|managing)\b",
            r"\bwell,?\s+(?:excuse|pardon)\s+(?:us|me)\b",
            r"\b(?:oh|well),?\s+(?:sure|great|wonderful),?\s+(?:another|so|just|thanks)\b",
        ),
        PLAIN,
        SARCASM,
    ),
    _rule(
        "sarcastic",
        (
            r"\bsorry\s+we\s+(?:could|did)\s*n[o']t\s+meet\s+your\s+(?:royal|high|impossible|lofty)\b",
            r"\bapparently\s+(?:our|the)\b",
            r"\b(?:clearly|obviously)\s+(?:we|our)\b",
            r"\b(?:with|for)\s+(?:such\s+)?(?:high|lofty|exacting)\s+standards\b",
            r"\b(?:perhaps|maybe)\s+(?:a|another|the)\s+[\w-]+(?:\s+[\w-]+)?\s+(?:would|might)\s+"
            r"(?:suit\s+you|be\s+(?:more\s+)?(?:your|better))",
        ),
        PLAIN,
        SARCASM,
    ),
    # over-promising
    _rule(
        "over-promising",
        (
            r"\b(?:this|it|that|such\s+a\s+thing)\s+will\s+never\s+(?:ever\s+)?happen\s+again\b",
            r"\bnever\s+(?:ever\s+)?(?:happen|occur)s?\s+again\b",
            r"\b(?:will\s+not|won'?t)\s+(?:ever\s+)?happen\s+again\b",
        ),
        "we're working to prevent this from happening again",
        "promises what no one can guarantee",
    ),
    _rule(
        "over-promising",
        (
            r"\b(?:we|i)\s+(?:guarantee|promise)\s+(?:you\s+)?(?:that\s+)?(?:this|it|everything|you|your|a|the|there)\b",
            r"\b100\s*%\s*guarantee\w*\b",
            r"\bguaranteed\s+(?:to|that|perfect|flawless)\b",
            r"\b(?:always|every\s+time)\s+(?:be\s+)?(?:perfect|flawless)\b",
            r"\bfor\s+life\b",
            r"\bfree\s+(?:\w+\s+)?forever\b",
            r"\beverything\s+will\s+be\s+(?:absolutely\s+|totally\s+|completely\s+)?(?:perfect|flawless)\b",
            r"\bwill\s+always\s+be\s+(?:on\s+time|perfect|flawless)\b",
            r"\banything\s+you\s+(?:want|ask)\b",
            r"\b(?:immediately|instantly|right\s+away|within\s+the\s+hour)\s+(?:refund|fix|replace|compensate)\w*\b",
            r"\b(?:full\s+refund|refund\s+in\s+full)\s+(?:immediately|right\s+away|today|instantly)\b",
        ),
        "we'll do our best to …, and we'll come back to you by …",
        "promises what may not be kept",
    ),
    # Spanish, French, German: the core phrases
    _rule(
        "defensive",
        (
            r"\bno\s+es\s+(?:nuestra|mi)\s+(?:culpa|responsabilidad|problema)\b",
            r"\bce\s+n'?est\s+pas\s+(?:de\s+)?(?:notre|ma)\s+(?:faute|responsabilité|problème)\b",
            r"\b(?:nicht|keine)\s+(?:unsere|meine)\s+(?:schuld|verantwortung)\b",
            r"\bnicht\s+unser\s+problem\b",
        ),
        "lo sentimos / nous sommes désolés / es tut uns leid",
        "denies responsibility",
    ),
    _rule(
        "aggressive",
        (
            r"\bc[aá]lm(?:ese|ate)\b",
            r"\btranquil[ií](?:cese|zate)\b",
            r"\bcalmez[- ]vous\b",
            r"\bberuhigen\s+sie\s+sich\b",
            r"\bberuhige\s+dich\b",
        ),
        "entiendo su frustración / je comprends votre frustration / ich verstehe Ihren Ärger",
        "tells the customer how to feel",
    ),
    _rule(
        "dismissive",
        (
            r"\bcomo\s+ya\s+(?:le|te|les)\s+(?:dijimos|indicamos|explicamos|informamos)\b",
            r"\bcomme\s+(?:nous\s+vous\s+l'?avons|je\s+vous\s+l'?ai)\s+déjà\s+(?:dit|indiqué|expliqué)\b",
            r"\bwie\s+(?:wir|ich)\s+(?:ihnen\s+|dir\s+)?(?:bereits|schon)\s+(?:gesagt|mitgeteilt|erklärt)\b",
        ),
        "en resumen / pour résumer / zusammengefasst",
        "implies the customer is not listening",
    ),
    _rule(
        "defensive",
        (
            r"\bseg[uú]n\s+nuestra\s+pol[ií]tica\b",
            r"\b(?:selon|conformément\s+à)\s+notre\s+politique\b",
            r"\b(?:gemäß|laut)\s+unse?rer?\s+(?:richtlinien?|agb|bedingungen)\b",
        ),
        "le explico cómo funciona / voici comment cela fonctionne / so funktioniert es",
        "hides behind policy",
    ),
    _rule(
        "blaming",
        (
            r"\busted\s+(?:se\s+equivoca|est[aá]\s+equivocad[oa])\b",
            r"\bte\s+equivocas\b",
            r"\bvous\s+(?:avez\s+tort|vous\s+trompez)\b",
            r"\bsie\s+(?:irren\s+sich|liegen\s+falsch|haben\s+unrecht)\b",
        ),
        "lo vemos de otra manera / nous voyons les choses autrement / wir sehen das etwas anders",
        "tells the customer they are wrong",
    ),
)
