/* 同心管理后台: shared helpers (no build step). */
(function () {
  "use strict";
  var meta = document.querySelector('meta[name="xsrf"]');
  var xsrf = meta ? meta.getAttribute("content") : "";

  function toast(text, bad) {
    var el = document.getElementById("toast");
    if (!el) return;
    el.textContent = text;
    el.className = "toast " + (bad ? "err" : "ok");
    el.hidden = false;
    clearTimeout(toast.timer);
    toast.timer = setTimeout(function () { el.hidden = true; }, 4000);
  }

  /* POST JSON to an admin endpoint with the xsrf token; resolves {ok, status, body}. */
  function post(url, data) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        "Accept": "application/json",
        "X-Requested-With": "fetch",
        "X-XSRFToken": xsrf
      },
      body: JSON.stringify(data || {})
    }).then(function (resp) {
      return resp.json().catch(function () { return {}; }).then(function (body) {
        return { ok: resp.ok, status: resp.status, body: body };
      });
    }).catch(function () {
      return { ok: false, status: 0, body: { error: { message: "网络异常，请稍后重试" } } };
    });
  }

  function getJson(url) {
    return fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json", "X-Requested-With": "fetch" } })
      .then(function (resp) { return resp.json().then(function (body) { return { ok: resp.ok, body: body }; }); });
  }

  /* The Chinese message of an error answer, every bad field included. */
  function errorText(body) {
    var e = (body && body.error) || {};
    var parts = [];
    if (e.fields) {
      Object.keys(e.fields).forEach(function (k) { parts.push(e.fields[k]); });
    }
    return (e.message || "操作失败") + (parts.length ? "：" + parts.join("；") : "");
  }

  window.TX = { post: post, getJson: getJson, toast: toast, errorText: errorText };
})();
