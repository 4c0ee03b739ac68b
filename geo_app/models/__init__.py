"""Every model of the schema; importing this package fills ``Base.metadata``."""

from geo_app.models.admin import AdminLevel, AdminUnit, Crosswalk, ProvinceTarget
from geo_app.models.audit import GENESIS_HASH, AuditLog
from geo_app.models.base import SRID, Base, GeometryValue
from geo_app.models.campaigns import (
    VERDICTS,
    Campaign,
    CampaignBaseline,
    CampaignTarget,
    Evaluation,
    Phase,
)
from geo_app.models.features import (
    CultivationSite,
    CultivationStatus,
    FacilityCondition,
    FacilitySite,
    HotlineBoard,
    HotlineBoardCheck,
    Hotspot,
    HotspotKind,
    HotspotSource,
    HotspotStatus,
    HotspotStatusChange,
    LocationMethod,
    Route,
    RouteKind,
    TipoffBox,
    TipoffInspection,
)
from geo_app.models.field import WriteReceipt
from geo_app.models.indicators import COUNT_COLUMNS, Classification, Indicator
from geo_app.models.jobs import JOB_STATES, Job
from geo_app.models.meta import DataLoad
from geo_app.models.sessions import AppSession, LoginFailure
from geo_app.models.tiles import AdminUnitTile, LayerEdit, LayerVersion
from geo_app.models.users import Role, User

__all__ = [
    "COUNT_COLUMNS",
    "GENESIS_HASH",
    "JOB_STATES",
    "SRID",
    "VERDICTS",
    "AdminLevel",
    "AdminUnit",
    "AdminUnitTile",
    "AppSession",
    "AuditLog",
    "Base",
    "Campaign",
    "CampaignBaseline",
    "CampaignTarget",
    "Classification",
    "Crosswalk",
    "CultivationSite",
    "CultivationStatus",
    "DataLoad",
    "Evaluation",
    "FacilityCondition",
    "FacilitySite",
    "GeometryValue",
    "HotlineBoard",
    "HotlineBoardCheck",
    "Hotspot",
    "HotspotKind",
    "HotspotSource",
    "HotspotStatus",
    "HotspotStatusChange",
    "Indicator",
    "Job",
    "LayerEdit",
    "LayerVersion",
    "LocationMethod",
    "LoginFailure",
    "Phase",
    "ProvinceTarget",
    "Role",
    "Route",
    "RouteKind",
    "TipoffBox",
    "TipoffInspection",
    "User",
    "WriteReceipt",
]
