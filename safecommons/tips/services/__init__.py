"""Writing tips. Split by who acts: the tipster, the background processing, staff, partners, admins.

Callers import from here: `from safecommons.tips import services; services.tip_submit(...)`.
"""

from safecommons.core.errors import Refused, Throttled
from safecommons.tips.services.processing import tip_process, tip_relate, tip_route, tips_process_pending
from safecommons.tips.services.referral import redact, referral_acknowledge, tip_refer
from safecommons.tips.services.rules import (
    retention_rule_delete,
    retention_rule_save,
    routing_rule_delete,
    routing_rule_save,
    tips_purge_expired,
)
from safecommons.tips.services.staff import (
    reward_payout,
    tip_attachment_open,
    tip_legal_hold_set,
    tip_message_send,
    tip_note_add,
    tip_open,
    tip_related_decide,
    tip_reward_set,
    tip_status_set,
    tip_triage,
)
from safecommons.tips.services.tipster import (
    MAX_FILES,
    MAX_TEXT,
    Receipt,
    TipInput,
    tip_from_access_token,
    tip_submit,
    tip_unlock,
    tipster_access_token,
    tipster_reply,
    tipster_reward_claim,
)

__all__ = [
    "MAX_FILES", "MAX_TEXT", "Receipt", "Refused", "Throttled", "TipInput", "redact", "referral_acknowledge",
    "retention_rule_delete", "retention_rule_save", "reward_payout", "routing_rule_delete", "routing_rule_save",
    "tip_attachment_open", "tip_from_access_token", "tip_legal_hold_set", "tip_message_send", "tip_note_add",
    "tip_open", "tip_process", "tip_refer", "tip_relate", "tip_related_decide", "tip_reward_set", "tip_route",
    "tip_status_set", "tip_submit", "tip_triage", "tip_unlock", "tips_process_pending", "tips_purge_expired",
    "tipster_access_token", "tipster_reply", "tipster_reward_claim",
]
