"""Length limits of what staff type and see on cards (the texts themselves: handlers/locales)."""

from __future__ import annotations

DESCRIPTION_ON_CARD = 1200
ANSWER_ON_CARD = 1800
REASON_MIN, REASON_MAX = 10, 1000
ANSWER_MIN, ANSWER_MAX = 20, 4000
COMPETENT_MIN, COMPETENT_MAX = 3, 300
# codes of the choices staff pick from (their labels: staff-btn-…; their texts for residents: reject-reason.…)
REJECT_CODES = ("vague", "competence", "abuse", "duplicate", "own")
RETURN_CODES = ("no_date", "no_evidence", "citations", "contradictory")
ANSWER_KINDS = ("fixed", "planned", "not_ours", "refusal")
BRUSHOFF_REASONS = ("similar", "phrase", "no_date", "no_evidence", "norm", "off_topic")
# «was it fixed?»: what a resident may attach to «not fixed»
FOLLOWUP_COMMENT_MAX = 1000
FOLLOWUP_PHOTOS_MAX = 3
