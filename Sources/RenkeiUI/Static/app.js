// 受信一覧: new units arrive without a reload (server-sent events from the mailbox subscription).
(function () {
  var table = document.getElementById("units");
  if (!table || !table.dataset.events) return;
  var live = document.getElementById("live");
  var source = new EventSource(table.dataset.events);
  source.addEventListener("received", function (message) {
    var unit = JSON.parse(message.data);
    var body = table.tBodies[0];
    var empty = body.querySelector("tr.empty");
    if (empty) empty.remove();
    var row = body.insertRow(0);
    row.className = "new";
    [unit.arrived, unit.partner, unit.type, unit.month, unit.files, unit.status].forEach(function (text) {
      row.insertCell().textContent = text;
    });
    var link = document.createElement("a");
    link.href = unit.href;
    link.textContent = "詳細 " + unit.id;
    row.insertCell().appendChild(link);
    var total = document.getElementById("total");
    if (total) total.textContent = String(Number(total.textContent) + 1);
    if (live) live.textContent = "新しい送信単位を受信しました(" + unit.partner + ")";
  });
})();

// 新規作成: each chosen or dropped file is sent to the page's own server as it is (no multipart), then the page
// loads again with the findings (and any refusal, which the server keeps for that page).
(function () {
  var form = document.getElementById("upload");
  if (!form) return;
  function upload(files) {
    var uploads = Array.prototype.map.call(files, function (file) {
      return fetch(form.dataset.target + encodeURIComponent(file.name), { method: "PUT", body: file });
    });
    // Not reload(): the page may be the answer to a POST (a repair, a send).
    Promise.allSettled(uploads).then(function () { window.location.assign(form.dataset.page); });
  }
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    upload(document.getElementById("files").files);
  });
  var zone = document.getElementById("drop");
  if (!zone) return;
  zone.addEventListener("dragover", function (event) { event.preventDefault(); zone.classList.add("over"); });
  zone.addEventListener("dragleave", function () { zone.classList.remove("over"); });
  zone.addEventListener("drop", function (event) {
    event.preventDefault();
    zone.classList.remove("over");
    if (event.dataTransfer && event.dataTransfer.files.length) upload(event.dataTransfer.files);
  });
})();

// 帳票: the print button opens the browser's print dialogue (A4 landscape is set by print.css).
(function () {
  var button = document.getElementById("print");
  if (button) button.addEventListener("click", function () { window.print(); });
})();
