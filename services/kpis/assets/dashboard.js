// The wall-screen dashboard: reads /api/v1/kpis/overview every few seconds
// and redraws. No framework and nothing fetched from elsewhere: the binary
// serves this file, and the page's Content-Security-Policy allows only it.
//
// Every figure drawn carries data-kpi, data-scope and data-value (the raw
// number the API gave), so a test can compare the page with the API.
"use strict";

const REFRESH_MS = 2000;

// What the bureau reported for 2015 (../shared/domain.md), shown beside the
// live figures as reference lines.
const REPORTED_2015 = {
  ebikes_registered: "1.49 M registered",
  thefts_reported: "−48 % on 2014",
  cases_solved: "3,002 by the IoT network",
  suspects: "2,974",
  theft_and_resale_cases: "1,525 by bike cards",
  rental_rooms_registered: "570 k rooms",
  fraud_alerts: "461 in the centre's first month",
  amount_reported_fen: "¥7.36 M in that month",
  stop_payments: "286 in that month",
  amount_stopped_fen: "¥4.07 M in that month",
  stopped_ratio: "over half",
  fugitives_captured: "29 captured or persuaded",
};

const VEHICLE = [
  ["ebikes_registered", "E-bikes registered"],
  ["thefts_reported", "Thefts reported"],
  ["hits", "Reader hits on stolen bikes"],
  ["bikes_recovered", "Bikes recovered"],
  ["cases_solved", "Cases solved"],
  ["suspects", "Suspects"],
  ["theft_and_resale_cases", "Theft-and-resale cases"],
  ["resident_cards_issued", "Resident cards issued"],
  ["rental_rooms_registered", "Rental rooms registered"],
];
const FRAUD = [
  ["fraud_alerts", "Fraud alerts"],
  ["amount_reported_fen", "Amount reported"],
  ["stop_payments", "Stop-payments"],
  ["amount_stopped_fen", "Amount stopped"],
  ["stopped_ratio", "Stopped / reported"],
  ["median_alert_to_request_seconds", "Median alert → stop request"],
  ["numbers_blocked", "Numbers blocked"],
  ["interceptions", "Calls and SMS intercepted"],
  ["fugitives_captured", "Fugitives captured"],
  ["fugitives_persuaded_to_return", "Fugitives persuaded to return"],
  ["fugitives_repatriated", "Fugitives repatriated"],
];
const MONTHLY = [
  ["thefts_reported", "Thefts reported"],
  ["hits", "Reader hits"],
  ["fraud_alerts", "Fraud alerts"],
  ["amount_stopped_fen", "Amount stopped"],
];
const BY_DISTRICT = [
  ["ebikes_registered", "E-bikes"],
  ["hits", "Hits"],
  ["resident_cards_issued", "Resident cards"],
  ["rental_rooms_registered", "Rental rooms"],
];
const DISTRICT_NAMES = {
  lucheng: ["Lucheng", "鹿城"], longwan: ["Longwan", "龙湾"], ouhai: ["Ouhai", "瓯海"],
  dongtou: ["Dongtou", "洞头"], ruian: ["Rui'an", "瑞安"], yueqing: ["Yueqing", "乐清"],
  yongjia: ["Yongjia", "永嘉"], pingyang: ["Pingyang", "平阳"], cangnan: ["Cangnan", "苍南"],
  wencheng: ["Wencheng", "文成"], taishun: ["Taishun", "泰顺"],
};

const grouped = new Intl.NumberFormat("en-US");

function show(kpi, value) {
  if (value === null || value === undefined) return "–";
  if (kpi.endsWith("_fen")) {
    return "¥" + grouped.format(Math.round(value / 100));
  }
  if (kpi === "stopped_ratio") return (value * 100).toFixed(1) + " %";
  if (kpi === "median_alert_to_request_seconds") {
    return value < 120 ? value + " s" : (value / 60).toFixed(1) + " min";
  }
  return grouped.format(value);
}

function el(tag, cls, text) {
  const node = document.createElement(tag);
  if (cls) node.className = cls;
  if (text !== undefined) node.textContent = text;
  return node;
}

function figure(node, kpi, scope, value) {
  node.dataset.kpi = kpi;
  node.dataset.scope = scope;
  node.dataset.value = value === null || value === undefined ? "" : String(value);
  node.textContent = show(kpi, value);
  return node;
}

function byName(figures) {
  const map = {};
  for (const f of figures.figures) map[f.name] = f;
  map.stopped_ratio = { value: figures.stopped_ratio };
  map.median_alert_to_request_seconds = { value: figures.median_alert_to_request_seconds };
  return map;
}

function cards(container, list, city) {
  const figures = byName(city);
  container.replaceChildren(
    ...list.map(([kpi, label]) => {
      const card = el("div", "card");
      card.append(el("span", "label", label));
      card.append(figure(el("span", "v"), kpi, "city", figures[kpi] ? figures[kpi].value : null));
      const change = figures[kpi] && figures[kpi].year_on_year;
      if (change !== undefined && change !== null) {
        const pct = (change * 100).toFixed(1);
        card.append(el("span", "change " + (change < 0 ? "down" : "up"),
          (change < 0 ? "" : "+") + pct + " % on the year before"));
      }
      if (REPORTED_2015[kpi]) card.append(el("div", "ref", "2015: " + REPORTED_2015[kpi]));
      return card;
    }),
  );
}

const SVG = "http://www.w3.org/2000/svg";

function chart(kpi, label, months) {
  const wrap = el("div", "chart");
  wrap.append(el("div", "label", label));
  const values = months.map((m) => byName(m)[kpi].value);
  const top = Math.max(1, ...values);
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("viewBox", "0 0 360 120");
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", label + " by month");
  months.forEach((month, i) => {
    const value = values[i];
    const height = Math.round((value / top) * 84);
    const x = 6 + i * 29.5;
    const group = document.createElementNS(SVG, "g");
    group.dataset.kpi = kpi;
    group.dataset.scope = month.period;
    group.dataset.value = String(value);
    const bar = document.createElementNS(SVG, "rect");
    bar.setAttribute("x", x);
    bar.setAttribute("y", 100 - height);
    bar.setAttribute("width", 22);
    bar.setAttribute("height", height);
    const count = document.createElementNS(SVG, "text");
    count.setAttribute("class", "count");
    count.setAttribute("x", x + 11);
    count.setAttribute("y", 96 - height);
    count.setAttribute("text-anchor", "middle");
    count.textContent = value > 0 ? show(kpi, value).replace("¥", "") : "";
    const name = document.createElementNS(SVG, "text");
    name.setAttribute("x", x + 11);
    name.setAttribute("y", 114);
    name.setAttribute("text-anchor", "middle");
    name.textContent = month.period.slice(5);
    group.append(bar, count, name);
    svg.append(group);
  });
  wrap.append(svg);
  return wrap;
}

function districts(rows) {
  const head = document.getElementById("district-head");
  head.replaceChildren(el("th", "", "District"), ...BY_DISTRICT.map(([, label]) => el("th", "", label)));
  document.getElementById("district-rows").replaceChildren(
    ...rows.map((row) => {
      const tr = el("tr");
      const [name, zh] = DISTRICT_NAMES[row.district] || [row.district, ""];
      const first = el("td", "", name);
      first.append(el("span", "zh", zh));
      tr.append(first);
      const figures = byName(row);
      for (const [kpi] of BY_DISTRICT) {
        tr.append(figure(el("td"), kpi, row.district, figures[kpi].value));
      }
      return tr;
    }),
  );
}

function render(overview) {
  document.getElementById("year").textContent = String(overview.year);
  document.body.dataset.year = String(overview.year);
  cards(document.getElementById("vehicle-cards"), VEHICLE, overview.city);
  cards(document.getElementById("fraud-cards"), FRAUD, overview.city);
  document.getElementById("months").replaceChildren(
    ...MONTHLY.map(([kpi, label]) => chart(kpi, label, overview.months)),
  );
  districts(overview.districts);
}

// The year on show: ?year=2015 in the page's address, else the latest year
// with figures (the API decides).
const wanted = new URLSearchParams(location.search).get("year") || "";

async function refresh() {
  const live = document.getElementById("live");
  try {
    const answer = await fetch("/api/v1/kpis/overview?year=" + encodeURIComponent(wanted),
      { cache: "no-store" });
    if (!answer.ok) throw new Error("HTTP " + answer.status);
    render(await answer.json());
    live.classList.remove("offline");
    live.textContent = "live · " + new Date().toLocaleTimeString("en-GB");
    live.dataset.refreshes = String(Number(live.dataset.refreshes) + 1);
  } catch (error) {
    live.classList.add("offline");
    live.textContent = "offline: " + error.message;
  }
}

refresh();
setInterval(refresh, REFRESH_MS);
