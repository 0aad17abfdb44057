"""Promoter outreach: thank customers who were happy and ask them for a testimonial, a survey or a
referral — never for a public-platform review (asking only happy customers for those is "review
gating", which Google and Trustpilot forbid; public review invitations go to every customer alike).

* ``eligibility``: who may be asked (positive item, an e-mail address, not unsubscribed, not asked
  within ``outreach_min_days_between_asks`` days, no recent negative item);
* ``links``: the mails' links — unguessable per-mail tokens, and a signed unsubscribe link;
* ``sending``: rendering the sandboxed templates and sending over SMTP, audited;
* ``tracking``: clicks, testimonials, referrals, unsubscribes, and the status numbers.
"""
