"""Background jobs: long outputs (a campaign's briefing pack) made outside the request.

``store`` holds the rows (enqueue, claim, progress, finish, fail, recover at start-up);
``runner`` works through them on one thread of the server process. Neither knows what a job
makes: the caller registers a handler per kind. No Flask here.
"""

from geo_app.services.jobs.runner import Handler, Progress, Runner
from geo_app.services.jobs.store import (
    JobView,
    enqueue,
    job_view,
    recover_interrupted,
)

__all__ = ["Handler", "JobView", "Progress", "Runner", "enqueue", "job_view", "recover_interrupted"]
