/* 派单台: recommendations, dispatch and reject without leaving the page. */
(function () {
  "use strict";
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function localInput(d) {
    return d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate()) + "T" + pad(d.getHours()) + ":" + pad(d.getMinutes());
  }
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function loadRecs(card) {
    var box = card.querySelector(".js-recs");
    TX.getJson("/admin/orders/" + card.dataset.order + "/recommend").then(function (r) {
      box.textContent = "";
      if (!r.ok) { box.appendChild(el("p", "form-error", TX.errorText(r.body))); return; }
      if (!r.body.items.length) { box.appendChild(el("p", "meta", "范围内暂无可推荐的队员，可发布到任务大厅")); return; }
      box.appendChild(el("p", "meta", "推荐队员（按技能、距离、在办量、轮换与评分排序）："));
      r.body.items.forEach(function (item, i) {
        var row = el("label", "rec");
        var cb = el("input");
        cb.type = "checkbox"; cb.name = "volunteer_ids"; cb.value = item.member.id;
        if (i === 0 && item.score > 0) cb.checked = true;
        row.appendChild(cb);
        row.appendChild(el("b", "rec-name", item.member.name));
        row.appendChild(el("span", "rec-org", item.member.org_name || ""));
        row.appendChild(el("span", "rec-score", "匹配度 " + Math.round(item.score * 100) + "%"));
        row.appendChild(el("span", "rec-why", item.reasons.join(" · ")));
        box.appendChild(row);
      });
    });
  }

  function done(card, text) {
    card.classList.add("done");
    card.querySelector(".dispatch").textContent = "";
    card.querySelector(".dispatch").appendChild(el("p", "flash ok", text));
    TX.toast(text);
  }

  document.querySelectorAll("article.order").forEach(function (card) {
    var dispatchForm = card.querySelector(".js-dispatch");
    var rejectForm = card.querySelector(".js-reject");
    card.querySelector(".js-open").addEventListener("click", function () {
      rejectForm.hidden = true;
      dispatchForm.hidden = !dispatchForm.hidden;
      if (!dispatchForm.hidden && !dispatchForm.dataset.loaded) {
        dispatchForm.dataset.loaded = "1";
        dispatchForm.due_at.value = localInput(new Date(Date.now() + 48 * 3600 * 1000));
        loadRecs(card);
      }
    });
    card.querySelector(".js-reject-open").addEventListener("click", function () {
      dispatchForm.hidden = true;
      rejectForm.hidden = !rejectForm.hidden;
    });
    dispatchForm.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var ids = Array.prototype.map.call(dispatchForm.querySelectorAll("input[name=volunteer_ids]:checked"), function (c) { return c.value; });
      var body = { volunteer_ids: ids, to_hall: dispatchForm.to_hall.checked, note: dispatchForm.note.value };
      if (dispatchForm.due_at.value) body.due_at = dispatchForm.due_at.value;
      var err = dispatchForm.querySelector(".js-error");
      err.textContent = "";
      TX.post("/admin/orders/" + card.dataset.order + "/dispatch", body).then(function (r) {
        if (r.ok) done(card, r.body.message); else err.textContent = TX.errorText(r.body);
      });
    });
    rejectForm.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var err = rejectForm.querySelector(".js-error");
      err.textContent = "";
      TX.post("/admin/orders/" + card.dataset.order + "/reject", { reason: rejectForm.reason.value }).then(function (r) {
        if (r.ok) done(card, r.body.message); else err.textContent = TX.errorText(r.body);
      });
    });
  });
})();
