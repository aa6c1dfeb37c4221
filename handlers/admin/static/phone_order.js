/* 电话点单: the phone typed in brings the name and earlier addresses (in scope) along. */
(function () {
  "use strict";
  var phone = document.getElementById("po-phone");
  var name = document.getElementById("po-name");
  var address = document.getElementById("po-address");
  var list = document.getElementById("po-addresses");
  var hint = document.getElementById("po-hint");
  if (!phone) return;
  var last = "";
  function lookup() {
    var value = phone.value.replace(/[\s-]/g, "");
    if (value.length < 7 || value === last) return;
    last = value;
    TX.getJson("/admin/orders/earlier-contact?phone=" + encodeURIComponent(value)).then(function (r) {
      if (!r.ok || value !== last) return;
      list.textContent = "";
      r.body.addresses.forEach(function (a) {
        var opt = document.createElement("option");
        opt.value = a;
        list.appendChild(opt);
      });
      if (r.body.name && !name.value) name.value = r.body.name;
      if (r.body.addresses.length && !address.value) address.value = r.body.addresses[0];
      hint.textContent = r.body.addresses.length
        ? "已带出该电话以往工单的姓名与地址（" + r.body.addresses.length + " 个地址可选）"
        : "该电话在本组织范围内没有以往工单";
    });
  }
  phone.addEventListener("change", lookup);
  phone.addEventListener("blur", lookup);
  phone.addEventListener("input", function () { if (phone.value.replace(/\D/g, "").length === 11) lookup(); });
})();
