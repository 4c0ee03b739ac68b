// The briefing controls (templates/_briefing_controls.html): the pack button queues a job,
// a progress bar follows it by polling GET /jobs/<id>, and the download link appears when it
// is done. The job's URL is kept in localStorage per page, so the bar comes back after a reload.
(function () {
  "use strict";
  var section = document.querySelector(".briefing-controls");
  if (!section || !section.dataset.packUrl) return;
  var key = "briefing-job:" + section.dataset.briefingKey;
  var labels = JSON.parse(section.dataset.labels || "{}");
  var button = section.querySelector(".briefing-pack-start");
  var bar = section.querySelector(".briefing-pack-progress");
  var status = section.querySelector(".briefing-pack-status");
  var link = section.querySelector(".briefing-pack-link");
  var timer = null;

  function show(job) {
    bar.hidden = job.state === "done" || job.state === "failed";
    bar.max = Math.max(job.total, 1);
    bar.value = job.done;
    if (job.state === "running") {
      status.textContent = labels.running
        .replace("{done}", job.done).replace("{total}", job.total || "…");
    } else if (job.state === "failed") {
      status.textContent = labels.failed + " " + (job.error || "");
    } else {
      status.textContent = labels[job.state] || "";
    }
    link.hidden = job.state !== "done";
    if (job.file) link.href = job.file;
    button.disabled = job.state === "queued" || job.state === "running";
  }

  function poll(url) {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (response.status === 404 || response.status === 403) {
          localStorage.removeItem(key);
          button.disabled = false;
          return null;
        }
        return response.json();
      })
      .then(function (job) {
        if (!job) return;
        show(job);
        if (job.state === "queued" || job.state === "running") {
          timer = setTimeout(function () { poll(url); }, 1000);
        }
      })
      .catch(function () { timer = setTimeout(function () { poll(url); }, 3000); });
  }

  button.addEventListener("click", function () {
    if (timer) clearTimeout(timer);
    button.disabled = true;
    fetch(section.dataset.packUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRF-Token": section.dataset.csrf, Accept: "application/json" },
    })
      .then(function (response) {
        return response.json().then(function (body) { return [response.ok, body]; });
      })
      .then(function (answer) {
        if (!answer[0]) {
          status.textContent = labels.failed + " " + (answer[1].error || "");
          button.disabled = false;
          return;
        }
        localStorage.setItem(key, answer[1].url);
        show(answer[1]);
        poll(answer[1].url);
      });
  });

  var kept = localStorage.getItem(key);
  if (kept) poll(kept);
})();
