// The console's only script (served from 'self', so the strict CSP holds): the live tail of
// the events page. New events that pass the page's filters arrive over Server-Sent Events and
// are put on top of the table; every value goes in as text, never as HTML.
(function () {
  "use strict";
  var table = document.getElementById("live-events");
  if (!table || !window.EventSource) {
    return;
  }
  var body = table.tBodies[0];
  var status = document.getElementById("live-status");
  var source = new EventSource("/api/v1/events/stream" + window.location.search);

  function cell(row, text) {
    var td = document.createElement("td");
    td.textContent = text || "";
    row.appendChild(td);
    return td;
  }

  function link(td, href, text) {
    td.textContent = "";
    var a = document.createElement("a");
    a.href = href;
    a.textContent = text;
    td.appendChild(a);
  }

  source.addEventListener("event", function (message) {
    var e = JSON.parse(message.data);
    var row = document.createElement("tr");
    row.className = "sev-" + e.severity + " live";
    row.setAttribute("data-seq", String(e.seq));
    link(cell(row, ""), "/console/events/" + encodeURIComponent(e.id), e.time);
    cell(row, e.category);
    cell(row, e.severity);
    var ip = cell(row, "");
    if (e.ip) {
      link(ip, "/console/events?ip=" + encodeURIComponent(e.ip), e.ip);
    }
    cell(row, e.user);
    cell(row, ((e.method || "") + " " + (e.path || "")).trim());
    cell(row, e.message);
    body.insertBefore(row, body.firstChild);
    // Bounded: the page keeps the newest 500 rows.
    while (body.rows.length > 500) {
      body.deleteRow(body.rows.length - 1);
    }
  });
  source.addEventListener("open", function () {
    if (status) { status.textContent = "live"; }
  });
  source.addEventListener("error", function () {
    if (status) { status.textContent = "reconnecting…"; }
  });
})();
