/* 队员审核: approve or reject in place. */
(function () {
  "use strict";
  document.querySelectorAll("tr[data-reg]").forEach(function (row) {
    var id = row.dataset.reg;
    var result = row.querySelector(".js-result");
    function finish(r) {
      if (r.ok) {
        row.classList.add("done");
        row.querySelectorAll("button, input").forEach(function (b) { b.disabled = true; });
        result.textContent = r.body.message;
        result.className = "result js-result ok";
        TX.toast(r.body.message);
      } else {
        result.textContent = TX.errorText(r.body);
        result.className = "result js-result err";
      }
    }
    row.querySelector(".js-approve").addEventListener("click", function () {
      TX.post("/admin/registrations/" + id + "/approve", {}).then(finish);
    });
    row.querySelector(".js-reg-reject").addEventListener("submit", function (ev) {
      ev.preventDefault();
      TX.post("/admin/registrations/" + id + "/reject", { reason: ev.target.reason.value }).then(finish);
    });
  });
})();
