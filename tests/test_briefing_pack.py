"""Briefing packs on the demo data: the Trà Vinh campaign's pack (cover headline, a page per
target), a commune's pack, the job flow over the web (queue, progress, file, who may see it)
and the runner failing a job a dead process left running."""

from __future__ import annotations

import io
import re
import subprocess
import time
from pathlib import Path

import sqlalchemy as sa
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from geo_app import clock
from geo_app.db import make_engine, session_scope
from geo_app.i18n import translator
from geo_app.models import Job
from geo_app.pages.common import PageMonth, Viewer
from geo_app.printing import pack
from geo_app.services import jobs
from geo_app.services.accounts.users import create_user
from geo_app.services.campaigns import campaign_by_code
from geo_app.services.jobs.store import INTERRUPTED

COMMUNE = "29410"
CAMPAIGN = "tra-vinh-2025"


def reader() -> Viewer:
    return Viewer("vi", None, clock.today(), translator("vi"))


def pdf_pages(body: bytes, tmp_path: Path) -> list[str]:
    path = tmp_path / "pack.pdf"
    path.write_bytes(body)
    text = subprocess.run(
        ["pdftotext", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    return [" ".join(page.split()) for page in text.split("\f") if page.strip()]


def test_the_campaign_pack_has_the_cover_headline_and_a_page_per_target(
    demo_session: Session, tmp_path: Path
) -> None:
    campaign = campaign_by_code(demo_session, CAMPAIGN)
    steps: list[tuple[int, int]] = []
    buffer = io.BytesIO()
    count = pack.campaign_pack(
        demo_session,
        campaign.id,
        clock.today(),
        reader(),
        buffer,
        lambda done, total: steps.append((done, total)),
    )
    pages = pdf_pages(buffer.getvalue(), tmp_path)
    assert count == 22 and len(pages) == 22
    assert "7/21 mục tiêu đã được công nhận" in pages[0]
    assert "Giai đoạn" in pages[0] or "giai đoạn" in pages[0]
    assert steps[0] == (1, 22) and steps[-1] == (22, 22)
    report_names = re.findall(r"TẬP TÀI LIỆU GIAO BAN (.+?) \(\d{5}\)", " ".join(pages[1:]))
    assert len(report_names) == 21
    for page in pages[1:]:
        assert "Chỉ số 12 tháng gần nhất" in page
        assert "Đạt" in page or "Chưa" in page  # the checklist's verdicts


def test_a_commune_pack_has_its_class_criteria_and_trend(
    demo_session: Session, tmp_path: Path
) -> None:
    buffer = io.BytesIO()
    pack.commune_pack(demo_session, COMMUNE, PageMonth(None, clock.today()), reader(), buffer)
    (page,) = pdf_pages(buffer.getvalue(), tmp_path)
    assert "Xã Hoà Minh (29410)" in page or "(29410)" in page
    assert "Phân loại:" in page
    assert "Chỉ số 12 tháng gần nhất" in page
    assert "In ngày 31/12/2025" in page


def _csrf(client: FlaskClient, path: str) -> str:
    html = client.get(path).get_data(as_text=True)
    found = re.search(r'data-csrf="([^"]+)"', html)
    assert found, "no briefing controls on the page"
    return found[1]


def _wait(client: FlaskClient, url: str, seconds: float = 60) -> dict[str, object]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        job = client.get(url).get_json()
        if job["state"] in ("done", "failed"):
            return dict(job)
        time.sleep(0.3)
    raise AssertionError(f"job {url} still running after {seconds} s")


def test_a_pack_job_runs_and_its_file_is_kept_for_the_requester(
    national_client: FlaskClient, province_client: FlaskClient, app: object
) -> None:
    token = _csrf(national_client, f"/map/commune/{COMMUNE}")
    queued = national_client.post(
        f"/briefing/pack/commune/{COMMUNE}", headers={"X-CSRF-Token": token}
    )
    assert queued.status_code == 202, queued.get_data(as_text=True)
    url = queued.get_json()["url"]
    job = _wait(national_client, url)
    assert job["state"] == "done" and job["done"] == job["total"] == 1
    download = national_client.get(str(job["file"]))
    assert download.status_code == 200 and download.data.startswith(b"%PDF")
    download.close()
    again = national_client.application.test_client()
    from conftest import NATIONAL_LOGIN, log_in

    assert log_in(again, NATIONAL_LOGIN).get(url).get_json()["state"] == "done"  # a new session
    assert province_client.get(url).status_code == 404  # another user's job
    assert province_client.get(str(job["file"])).status_code == 404


def test_queueing_checks_scope_kind_and_csrf(
    national_client: FlaskClient, province_client: FlaskClient
) -> None:
    token = _csrf(province_client, f"/map/commune/{COMMUNE}")
    headers = {"X-CSRF-Token": token}
    assert province_client.post("/briefing/pack/commune/00004", headers=headers).status_code == 403
    assert province_client.post("/briefing/pack/hamlet/1", headers=headers).status_code == 404
    assert province_client.post(f"/briefing/pack/commune/{COMMUNE}").status_code == 400
    month = province_client.post(f"/briefing/pack/commune/{COMMUNE}?month=2025-13", headers=headers)
    assert month.status_code == 400
    assert national_client.get("/jobs/999999").status_code == 404
    assert national_client.get(f"/jobs/{10**30}").status_code == 404


def test_a_job_left_running_is_failed_at_start_up(empty_db: str, tmp_path: Path) -> None:
    engine = make_engine(empty_db)
    with session_scope(engine) as session, session.begin():
        user = create_user(
            session,
            login="pack.tester",
            password="mat-khau-dai-1",
            role="admin",
            scope_code=None,
            actor="test",
        )
        session.flush()
        user_id = int(user.id)
        stuck = jobs.enqueue(session, "commune_pack", {"code": COMMUNE}, user_id)
        waiting = jobs.enqueue(session, "unknown_kind", {}, user_id)
        session.execute(sa.update(Job).where(Job.id == stuck).values(state="running"))
    runner = jobs.Runner(engine, tmp_path, {})
    assert runner.start().result(timeout=30) == 1
    runner.wake().result(timeout=30)
    with session_scope(engine) as session:
        failed = session.get(Job, stuck)
        unknown = session.get(Job, waiting)
        assert failed is not None and failed.state == "failed" and failed.error == INTERRUPTED
        assert unknown is not None and unknown.state == "failed"
        assert "unknown_kind" in str(unknown.error)
    engine.dispose()
