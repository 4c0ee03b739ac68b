/* The "Xuất dữ liệu" dialog (templates/_export_dialog.html): open and close it, and download
   the export by fetch so a refusal (an officer's exact export, a format holding one layer) is
   shown in the dialog instead of replacing the page. One layer goes to /api/exports/<layer>,
   several to /api/exports?layers=a,b (one GeoPackage). No inline handlers (CSP). */
(function () {
  "use strict";

  function filename(response) {
    var header = response.headers.get("Content-Disposition") || "";
    var utf = /filename\*=UTF-8''([^;]+)/i.exec(header);
    if (utf) { return decodeURIComponent(utf[1]); }
    var plain = /filename="?([^";]+)"?/i.exec(header);
    return plain ? plain[1] : "export";
  }

  function target(form) {
    var params = new URLSearchParams(new FormData(form));
    var layers = params.getAll("layers");
    params.delete("layers");
    if (layers.length === 1) {
      return form.action.replace(/\/?$/, "/") + encodeURIComponent(layers[0]) + "?" + params;
    }
    params.set("layers", layers.join(","));
    return form.action + "?" + params;
  }

  function save(blob, name) {
    var link = document.createElement("a");
    link.href = URL.createObjectURL(blob);
    link.download = name;
    document.body.appendChild(link);
    link.click();
    setTimeout(function () { URL.revokeObjectURL(link.href); link.remove(); }, 1000);
  }

  function submit(form, status) {
    status.textContent = "…";
    fetch(target(form), { credentials: "same-origin", headers: { "X-Requested-With": "XMLHttpRequest" } })
      .then(function (response) {
        if (!response.ok) {
          return response.json().then(function (body) { throw new Error(body.error || response.status); });
        }
        return response.blob().then(function (blob) { save(blob, filename(response)); status.textContent = "✓ " + filename(response); });
      })
      .catch(function (error) { status.textContent = error.message; });
  }

  document.addEventListener("click", function (event) {
    var opener = event.target.closest("[data-export-open]");
    if (opener) {
      document.getElementById(opener.getAttribute("data-export-open")).showModal();
      return;
    }
    var closer = event.target.closest("[data-export-close]");
    if (closer) { closer.closest("dialog").close(); }
  });

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.hasAttribute("data-export-form")) { return; }
    event.preventDefault();
    submit(form, form.querySelector("[data-export-status]"));
  });
})();
