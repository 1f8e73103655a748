/* matome article page: sort and filter the comment list, draw the opinion map.
   Works the same when served and inside a one-file report (no network use). */
(function () {
  "use strict";

  var dataEl = document.getElementById("article-data");
  if (!dataEl) return;
  var data = JSON.parse(dataEl.textContent);
  var list = document.getElementById("comment-list");
  var sortSel = document.getElementById("sort");
  var groupSel = document.getElementById("group");
  var status = document.getElementById("list-status");
  var resetBtn = document.getElementById("reset-filter");
  var mapEl = document.getElementById("opinion-map");
  var items = list ? Array.prototype.slice.call(list.children) : [];
  var groupLabel = {};
  var members = {};  /* group id → {position: true}, for both levels of a two-level digest */
  data.groups.forEach(function (g) {
    groupLabel[String(g.id)] = g.label;
    var set = {};
    g.members.forEach(function (p) { set[p] = true; });
    members[String(g.id)] = set;
  });
  function inGroup(group, pos) { return group === "" || !!(members[group] && members[group][pos]); }

  var SORT_LABEL = {
    recommended: "おすすめ順", up: "▲の多い順", down: "▼の多い順",
    divided: "賛否の割れた順", original: "元の順"
  };

  function num(el, key) { return parseFloat(el.getAttribute("data-" + key)) || 0; }

  var COMPARE = {
    recommended: function (a, b) { return num(b, "wilson") - num(a, "wilson") || num(b, "up") - num(a, "up"); },
    up: function (a, b) { return num(b, "up") - num(a, "up"); },
    down: function (a, b) { return num(b, "down") - num(a, "down"); },
    divided: function (a, b) { return num(b, "controversy") - num(a, "controversy"); },
    original: function () { return 0; }
  };

  function currentGroup() { return groupSel ? groupSel.value : ""; }

  /* A long thread shows only part of its comments: the server sorts and filters them. */
  var serverSide = list && list.getAttribute("data-truncated") === "true" && /^https?:$/.test(location.protocol);

  function reload() {
    var params = new URLSearchParams(location.search);
    params.set("sort", sortSel ? sortSel.value : "recommended");
    if (currentGroup() === "") params.delete("group"); else params.set("group", currentGroup());
    params.delete("page");
    location.assign(location.pathname + "?" + params.toString() + "#comments");
  }

  function apply(updateUrl) {
    if (serverSide && updateUrl) { reload(); return; }
    var sort = sortSel ? sortSel.value : "recommended";
    var cmp = COMPARE[sort] || COMPARE.original;
    var sorted = items.slice().sort(function (a, b) {
      return cmp(a, b) || num(a, "pos") - num(b, "pos");
    });
    var group = currentGroup();
    var shown = 0;
    var frag = document.createDocumentFragment();
    sorted.forEach(function (el) {
      var match = inGroup(group, el.getAttribute("data-pos"));
      el.hidden = !match;
      if (match) shown += 1;
      frag.appendChild(el);
    });
    list.appendChild(frag);
    if (!serverSide) {
      var text = (SORT_LABEL[sort] || "") + "で " + shown + " 件を表示";
      if (group !== "") text = "グループ「" + (groupLabel[group] || group) + "」の" + text;
      status.textContent = text;
    }
    if (resetBtn) resetBtn.hidden = group === "";
    Array.prototype.forEach.call(document.querySelectorAll(".group-card"), function (card) {
      card.classList.remove("active");
    });
    Array.prototype.forEach.call(document.querySelectorAll("[data-filter-group]"), function (b) {
      var on = b.getAttribute("data-filter-group") === group;
      b.setAttribute("aria-pressed", on ? "true" : "false");
      if (b.classList.contains("filter-button")) {
        b.textContent = on ? "このグループを表示中" : "このグループのコメントを表示";
      }
      var card = b.closest(".group-card");
      if (card && on) card.classList.add("active");
    });
    highlightMap(group);
    if (updateUrl && /^https?:$/.test(location.protocol) && window.history && history.replaceState) {
      var params = new URLSearchParams(location.search);
      params.set("sort", sort);
      if (group === "") params.delete("group"); else params.set("group", group);
      history.replaceState(null, "", location.pathname + "?" + params.toString() + location.hash);
    }
  }

  function setGroup(group, focusList) {
    if (!groupSel) return;
    groupSel.value = group === null || group === undefined ? "" : String(group);
    apply(true);
    if (focusList) {
      var heading = document.getElementById("h-comments");
      if (heading) {
        heading.setAttribute("tabindex", "-1");
        heading.focus({ preventScroll: true });
        heading.scrollIntoView({ block: "start" });
      }
    }
  }

  if (sortSel) sortSel.addEventListener("change", function () { apply(true); });
  if (groupSel) groupSel.addEventListener("change", function () { apply(true); });
  if (resetBtn) resetBtn.addEventListener("click", function () { setGroup("", false); });
  Array.prototype.forEach.call(document.querySelectorAll("[data-filter-group]"), function (b) {
    b.addEventListener("click", function () {
      var g = b.getAttribute("data-filter-group");
      setGroup(currentGroup() === g ? "" : g, currentGroup() !== g);
    });
  });

  /* ---- the opinion map ---- */

  function esc(s) {
    return String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")
      .replace(/"/g, "&quot;").replace(/'/g, "&#39;");
  }

  function wrap(text, width) {
    var flat = String(text).replace(/\s+/g, " ").trim();
    if (flat.length > 150) flat = flat.slice(0, 150) + "…";
    var lines = [];
    for (var i = 0; i < flat.length; i += width) lines.push(esc(flat.slice(i, i + width)));
    return lines.join("<br>");
  }

  var traceGroups = [];
  var tracePositions = [];
  var mapReady = false;

  function highlightMap(group) {
    if (!mapReady || !window.Plotly) return;
    var opacity = tracePositions.map(function (positions) {
      return positions.map(function (p) { return inGroup(group, p) ? 0.9 : 0.15; });
    });
    window.Plotly.restyle(mapEl, { "marker.opacity": opacity });
  }

  /* The map points come as parallel arrays (compact for long threads). */
  var m = data.map || { p: [] };
  var scale = m.s || 1;  /* coordinates come as whole numbers: x × s */
  var points = m.p.map(function (pos, i) {
    return { p: pos, x: m.x[i] / scale, y: m.y[i] / scale, g: m.g[i], u: m.u[i], d: m.d[i],
             t: data.texts[String(pos)] };
  });

  function drawMap() {
    if (!mapEl || !window.Plotly || !points.length) return;
    var byGroup = {};
    var order = [];
    points.forEach(function (p) {
      var key = p.g === null ? "none" : String(p.g);
      if (!byGroup[key]) { byGroup[key] = []; order.push(key); }
      byGroup[key].push(p);
    });
    var colors = {};
    data.groups.forEach(function (g) { colors[String(g.id)] = g.color; });
    order.sort(function (a, b) { return (a === "none") - (b === "none") || Number(a) - Number(b); });
    var traces = order.map(function (key) {
      var pts = byGroup[key];
      traceGroups.push(key === "none" ? "" : key);
      tracePositions.push(pts.map(function (p) { return p.p; }));
      return {
        type: "scatter", mode: "markers",
        name: key === "none" ? "グループなし" : esc(groupLabel[key] || key),
        x: pts.map(function (p) { return p.x; }),
        y: pts.map(function (p) { return p.y; }),
        customdata: pts.map(function (p) { return [p.p, key === "none" ? "" : key]; }),
        hovertext: pts.map(function (p) {
          var head = "#" + (p.p + 1) + " ▲" + p.u + " ▼" + p.d;
          return p.t === undefined ? head : head + "<br>" + wrap(p.t, 26);
        }),
        hoverinfo: "text",
        marker: {
          color: colors[key] || "#8a8a8a", opacity: 0.9, line: { width: 0.5, color: "#ffffff" },
          size: pts.map(function (p) { return Math.min(26, 7 + Math.sqrt(p.u + p.d) * 0.9); })
        }
      };
    });
    var layout = {
      margin: { l: 8, r: 8, t: 8, b: 8 },
      xaxis: { visible: false, fixedrange: false }, yaxis: { visible: false },
      showlegend: true,
      legend: { orientation: "h", x: 0, y: -0.02, yanchor: "top", font: { size: 12 } },
      hovermode: "closest", dragmode: "pan",
      hoverlabel: { align: "left", font: { size: 13 } },
      paper_bgcolor: "rgba(0,0,0,0)", plot_bgcolor: "rgba(0,0,0,0)",
      font: { family: "'Noto Sans CJK JP', 'Noto Sans JP', 'Hiragino Sans', sans-serif" }
    };
    var config = {
      displaylogo: false, responsive: true, scrollZoom: false,
      modeBarButtonsToRemove: ["select2d", "lasso2d", "toImage", "autoScale2d"]
    };
    window.Plotly.newPlot(mapEl, traces, layout, config).then(function () {
      mapReady = true;
      mapEl.setAttribute("data-rendered", "true");
      highlightMap(currentGroup());
    });
    mapEl.on("plotly_click", function (ev) {
      if (!ev || !ev.points || !ev.points.length) return;
      var g = ev.points[0].customdata[1];
      setGroup(g, false);
      var target = document.getElementById("c" + ev.points[0].customdata[0]);
      if (target) target.classList.add("flash");
    });
    mapEl.on("plotly_legendclick", function (ev) {
      var g = traceGroups[ev.curveNumber];
      setGroup(currentGroup() === g ? "" : g, false);
      return false;
    });
    mapEl.on("plotly_legenddoubleclick", function () { return false; });
  }

  apply(false);
  drawMap();
})();
