"""Real OGC API – Features clients against the app served on a port: GDAL's OAPIF driver (the
``ogrinfo`` command and pyogrio, as QGIS uses it) and OWSLib, logged in by HTTP Basic.

Each lists every collection and reads each one with as many features as the feature service
counts for that user; a commune officer reads only the hotspots of commune 29410.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from owslib.ogcapi.features import Features
from owslib.util import Authentication
from sqlalchemy.orm import Session

from geo_app import features
from geo_app.demo.accounts import DEMO_PASSWORD
from geo_app.layers import REGISTRY
from geo_app.layers.base import LayerQuery
from geo_app.models import User

NATIONAL = "quantri"
PROVINCE = "vinhlong"  # commander of province 86: every collection read whole, in little time
OFFICER = "canbo.hoaminh"  # commune 29410

Expected = Callable[[str, str], int]


@pytest.fixture(scope="module")
def expected(demo_db: str) -> Iterator[Expected]:
    """How many features of a layer the feature service counts for a login's scope."""
    engine = sa.create_engine(demo_db, poolclass=sa.NullPool)

    def count(login: str, layer: str) -> int:
        with Session(engine) as session:
            scope = session.scalar(sa.select(User.scope_unit_id).where(User.login == login))
            query = features.FeatureQuery(layer, LayerQuery(scope_unit_id=scope))
            return features.count(session, query).value

    yield count
    engine.dispose()


def _ogrinfo(live_url: str, login: str, *layers: str) -> str:
    """``ogrinfo``'s listing of the layers, or every feature of ``layers``."""
    env = {**os.environ, "GDAL_HTTP_USERPWD": f"{login}:{DEMO_PASSWORD}"}
    quiet = ["-q"] if layers else []
    done = subprocess.run(
        ["ogrinfo", "-ro", *quiet, f"OAPIF:{live_url}/ogc", *layers],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    return done.stdout


def test_ogrinfo_lists_every_layer_and_reads_the_hotspots_the_service_counts(
    live_url: str, expected: Expected
) -> None:
    listing = _ogrinfo(live_url, NATIONAL)
    listed = re.findall(r"^\d+: (\w+) \(title: ", listing, flags=re.MULTILINE)
    assert listed == list(REGISTRY)
    hotspots = _ogrinfo(live_url, NATIONAL, "hotspots")
    read = hotspots.count("OGRFeature(hotspots):")
    assert read == expected(NATIONAL, "hotspots") > 100


def test_ogrinfo_as_a_commune_officer_reads_only_the_communes_hotspots(
    live_url: str, expected: Expected
) -> None:
    hotspots = _ogrinfo(live_url, OFFICER, "hotspots")
    codes = re.findall(r"unit_code \(String\) = (\S+)", hotspots)
    assert len(codes) == hotspots.count("OGRFeature(hotspots):") == expected(OFFICER, "hotspots")
    assert codes and {code[:5] for code in codes} == {"29410"}
    assert expected(OFFICER, "hotspots") < expected(NATIONAL, "hotspots")


PYOGRIO_READ = """
import json, sys
import pyogrio
source, userpwd, *asked = sys.argv[1:]
pyogrio.set_gdal_config_options({"GDAL_HTTP_USERPWD": userpwd})
listed = [str(name) for name in pyogrio.list_layers(source)[:, 0]]
read, communes = {}, []
for name in asked or listed:
    frame = pyogrio.read_dataframe(source, layer=name, PAGE_SIZE=1000)
    read[name] = len(frame)
    if name == "hotspots":
        communes = sorted(set(frame["unit_code"].str[:5]))
print(json.dumps({"listed": listed, "read": read, "hotspot_communes": communes}))
"""
"""pyogrio keeps Python's lock while GDAL fetches, and the test server answers from a thread of
this process: so pyogrio reads from a child process."""


def _pyogrio(live_url: str, login: str, *layers: str) -> dict[str, Any]:
    """What pyogrio lists, and how many features it reads of ``layers`` (every one listed by
    default), logged in as ``login``."""
    done = subprocess.run(
        [sys.executable, "-c", PYOGRIO_READ, f"OAPIF:{live_url}/ogc", f"{login}:{DEMO_PASSWORD}"]
        + list(layers),
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )
    found: dict[str, Any] = json.loads(done.stdout)
    return found


def test_pyogrio_reads_every_collection_with_the_service_count(
    live_url: str, expected: Expected
) -> None:
    province = _pyogrio(live_url, PROVINCE)
    assert province["listed"] == list(REGISTRY)
    assert province["read"] == {name: expected(PROVINCE, name) for name in REGISTRY}
    officer = _pyogrio(live_url, OFFICER, "hotspots")
    assert officer["read"]["hotspots"] == expected(OFFICER, "hotspots") > 0
    assert officer["hotspot_communes"] == ["29410"]


def test_owslib_lists_and_reads_every_collection_with_the_service_count(
    live_url: str, expected: Expected
) -> None:
    api = Features(f"{live_url}/ogc", auth=Authentication(NATIONAL, DEMO_PASSWORD))
    assert api.feature_collections() == list(REGISTRY)
    assert (
        "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core"
        in (api.conformance()["conformsTo"])
    )
    province = Features(f"{live_url}/ogc", auth=Authentication(PROVINCE, DEMO_PASSWORD))
    for name in REGISTRY:
        found = province.collection_items(name, limit=10_000)
        assert found["numberMatched"] == len(found["features"]) == expected(PROVINCE, name), name
    officer = Features(f"{live_url}/ogc", auth=Authentication(OFFICER, DEMO_PASSWORD))
    hotspots = officer.collection_items("hotspots", limit=10_000)["features"]
    assert len(hotspots) == expected(OFFICER, "hotspots") > 0
    assert {f["properties"]["unit_code"][:5] for f in hotspots} == {"29410"}
    one = officer.collection_item("hotspots", str(hotspots[0]["id"]))
    assert one["id"] == hotspots[0]["id"]
