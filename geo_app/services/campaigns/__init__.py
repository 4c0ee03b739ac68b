"""Campaigns (DESIGN §6): create from a document, baseline, evaluate, override, progress, and
reading pre-2025 campaigns on the 2025 map. Services take a session and never commit.
"""

from geo_app.services.campaigns.baseline import BaselineResult, take_baseline
from geo_app.services.campaigns.create import create_campaign
from geo_app.services.campaigns.evaluate import TargetEvaluation, evaluate_campaign
from geo_app.services.campaigns.lookup import PhaseOn, campaign_by_code, campaign_by_id, phase_on
from geo_app.services.campaigns.map2025 import Successor, TargetOn2025, targets_on_2025_map
from geo_app.services.campaigns.override import OVERRIDE_VERDICTS, override_verdict
from geo_app.services.campaigns.progress import (
    CampaignProgress,
    TargetProgress,
    campaign_progress,
    target_progress,
)

__all__ = [
    "OVERRIDE_VERDICTS",
    "BaselineResult",
    "CampaignProgress",
    "PhaseOn",
    "Successor",
    "TargetEvaluation",
    "TargetOn2025",
    "TargetProgress",
    "campaign_by_code",
    "campaign_by_id",
    "campaign_progress",
    "create_campaign",
    "evaluate_campaign",
    "override_verdict",
    "phase_on",
    "take_baseline",
    "target_progress",
    "targets_on_2025_map",
]
