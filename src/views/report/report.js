"use strict";
// accord report: the details of a mark, the filters and the slider over world time, from the
// data embedded in the page. Text from the log is only ever set as textContent.
(function () {
  var body = document.body;
  window.addEventListener("error", function () {
    body.dataset.scriptErrors = String(Number(body.dataset.scriptErrors || 0) + 1);
  });
  var data = JSON.parse(document.getElementById("report-data").textContent);
  var bySeq = {};
  data.events.forEach(function (event) { bySeq[event.seq] = event; });
  var marks = Array.prototype.slice.call(document.querySelectorAll("#timeline .mark"));
  var details = document.getElementById("details");
  var form = document.getElementById("controls");

  function line(label, value, code) {
    var p = document.createElement("p");
    var b = document.createElement("b");
    b.textContent = label + ": ";
    p.appendChild(b);
    var text = document.createElement(code ? "code" : "span");
    text.textContent = value;
    p.appendChild(text);
    return p;
  }

  function show(mark) {
    marks.forEach(function (other) { other.classList.remove("chosen"); });
    mark.classList.add("chosen");
    details.textContent = "";
    var seq = mark.getAttribute("data-seq");
    if (seq === null) {
      details.appendChild(line("Events", mark.getAttribute("data-count") + " " +
        mark.getAttribute("data-family") + " events, lines " +
        mark.getAttribute("data-first-seq") + " to " + mark.getAttribute("data-last-seq")));
      return;
    }
    var event = bySeq[seq];
    if (!event) { return; }
    details.appendChild(line("Line " + event.seq, event.type));
    details.appendChild(line("What", event.text));
    details.appendChild(line("Occurred", event.occurred + " (recorded " + event.recorded + ")"));
    details.appendChild(line("Source", event.source || "none given"));
    details.appendChild(line("Hash", event.hash, true));
  }

  marks.forEach(function (mark) {
    mark.addEventListener("click", function () { show(mark); });
    mark.addEventListener("keydown", function (key) {
      if (key.key === "Enter" || key.key === " ") { key.preventDefault(); show(mark); }
    });
  });

  function dayStart(value, end) {
    if (!value) { return end ? Infinity : -Infinity; }
    var seconds = Date.parse(value + "T00:00:00Z") / 1000;
    return end ? seconds + 86400 - 1 : seconds;
  }

  function filter() {
    var lanes = {}, families = {};
    form.querySelectorAll("input[name=lane]").forEach(function (box) { lanes[box.value] = box.checked; });
    form.querySelectorAll("input[name=family]").forEach(function (box) { families[box.value] = box.checked; });
    var from = dayStart(form.elements.from.value, false);
    var to = dayStart(form.elements.to.value, true);
    marks.forEach(function (mark) {
      var t = Number(mark.getAttribute("data-t"));
      var shown = lanes[mark.getAttribute("data-lane")] && families[mark.getAttribute("data-family")] &&
        t >= from && t <= to;
      mark.classList.toggle("hidden", !shown);
    });
  }
  form.addEventListener("change", filter);
  form.addEventListener("submit", function (submit) { submit.preventDefault(); });

  var slider = document.getElementById("moment");
  var shownMoment = document.getElementById("moment-shown");
  var asOf = document.getElementById("as-of");
  var nows = Array.prototype.slice.call(document.querySelectorAll("line.now"));

  function list(title, items) {
    var block = document.createElement("div");
    var b = document.createElement("b");
    b.textContent = title;
    block.appendChild(b);
    var ul = document.createElement("ul");
    items.forEach(function (item) {
      var li = document.createElement("li");
      li.textContent = item;
      ul.appendChild(li);
    });
    if (!items.length) {
      var li = document.createElement("li");
      li.textContent = "none";
      ul.appendChild(li);
    }
    block.appendChild(ul);
    return block;
  }

  function moment() {
    var knot = data.knots[Number(slider.value)];
    if (!knot) { return; }
    var t = knot[0], x = knot[1];
    // At the last moment the state is the log's own: no line to draw, nothing later.
    var past = Number(slider.value) < Number(slider.max);
    shownMoment.textContent = new Date(t * 1000).toISOString().replace(".000Z", "Z");
    nows.forEach(function (now) {
      var svg = now.ownerSVGElement;
      var height = svg.viewBox.baseVal.height;
      now.setAttribute("x1", x); now.setAttribute("x2", x);
      now.setAttribute("y1", 0); now.setAttribute("y2", height);
      now.setAttribute("visibility", past ? "visible" : "hidden");
    });
    marks.forEach(function (mark) {
      mark.classList.toggle("later", past && Number(mark.getAttribute("data-t")) > t);
    });
    var custody = [];
    data.custody.forEach(function (series) {
      var held = null;
      series.points.forEach(function (point) { if (point[0] <= t) { held = point; } });
      if (held) {
        custody.push(series.holder + " holds " + (held[1] + held[2] + held[3]) + " of " + series.of +
          " (" + held[1] + " combatants, " + held[2] + " civilians, " + held[3] + " remains)");
      }
    });
    var open = data.proposals.filter(function (proposal) {
      return proposal.made <= t && (proposal.closed === null || proposal.closed > t);
    }).map(function (proposal) { return proposal.id + " by " + proposal.by; });
    asOf.textContent = "";
    asOf.appendChild(list("Custody", custody));
    asOf.appendChild(list("Open proposals", open));
  }
  slider.addEventListener("input", moment);

  // A link can open the page at a moment and with filters:
  // #at=2021-05-03&lanes=0,2&families=statement,release&from=2020-11-01&to=2021-05-31
  function fromLink() {
    var wanted = {};
    location.hash.replace(/^#/, "").split("&").forEach(function (pair) {
      var parts = pair.split("=");
      if (parts.length === 2) { wanted[decodeURIComponent(parts[0])] = decodeURIComponent(parts[1]); }
    });
    if (wanted.at) {
      var until = dayStart(wanted.at, true), index = 0;
      data.knots.forEach(function (knot, i) { if (knot[0] <= until) { index = i; } });
      slider.value = String(index);
    }
    [["lanes", "lane"], ["families", "family"]].forEach(function (names) {
      if (!wanted[names[0]]) { return; }
      var on = wanted[names[0]].split(",");
      form.querySelectorAll("input[name=" + names[1] + "]")
        .forEach(function (box) { box.checked = on.indexOf(box.value) >= 0; });
    });
    if (wanted.from) { form.elements.from.value = wanted.from; }
    if (wanted.to) { form.elements.to.value = wanted.to; }
  }
  fromLink();
  window.addEventListener("hashchange", function () { fromLink(); moment(); filter(); });
  moment();
  filter();
  body.dataset.rendered = "1";
})();
