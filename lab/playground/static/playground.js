// The playground page: plain DOM code talking to the JSON API of lab/playground/app.py.
// Each model keeps its own step-by-step walk as a list of its own tokens (models do not
// share a tokenizer), so an <eos> or a character survives exactly as the model sees it.
"use strict";

const $ = (id) => document.getElementById(id);
const walks = new Map(); // model name -> {tokens: string[] | null, steps: number}
let refreshTimer = null;

function showError(message) {
  const box = $("error");
  box.textContent = message || "";
  box.hidden = !message;
}

function field(id) {
  // Blank means "off"; anything else goes to the server as a number if it is one,
  // else as typed, so the server's one-line message says what is wrong with it.
  const raw = $(id).value.trim();
  if (raw === "") return null;
  const n = Number(raw);
  return Number.isNaN(n) ? raw : n;
}

function settings() {
  // Greedy decoding ignores temperature, top-k and top-p: send none, or the server refuses
  // the pair as a contradiction (one validator for the page and the command line).
  const greedy = $("greedy").checked;
  return {
    greedy,
    temperature: greedy ? null : Number($("temperature").value),
    top_k: greedy ? null : field("top-k"),
    top_p: greedy ? null : field("top-p"),
    max_words: field("max-words"), // words for every model, the character one included
    seed: field("seed") ?? 0,
  };
}

async function api(path, body) {
  const init = body === undefined ? {} : {
    method: "POST",
    headers: {"Content-Type": "application/json"},
    body: JSON.stringify(body),
  };
  const response = await fetch(path, init);
  let data;
  try {
    data = await response.json();
  } catch (err) {
    throw new Error(`the server answered ${response.status} without JSON`);
  }
  if (!response.ok) throw new Error(data.error || `the server answered ${response.status}`);
  return data;
}

// Tokens with no text of their own, named in words where a row has room for them.
const NAMES = {"<eos>": "end of sentence", "\n": "line break", " ": "space", "\t": "tab",
  "<unk>": "unknown word", "<pad>": "padding"};

function label(token, text, unit) {
  // What a reader sees for a token: the text it stands for (the server sends it: an
  // opening-quote marker reads as the quote), else a name in italics.
  if (text && text.trim() !== "") return {text, special: false};
  if (unit === "word" && token === "\n") return {text: "new paragraph", special: true};
  return {text: NAMES[token] || token, special: true};
}

// Surprisal colours: bits per character, the unit every model shares.
const SCALE_BITS = 8; // this many bits per character or more: the darkest colour

function heatColor(bitsPerChar) {
  const x = Math.min(Math.max(bitsPerChar, 0) / SCALE_BITS, 1);
  return `hsl(${50 - 50 * x}, 95%, ${92 - 42 * x}%)`;
}

function buildLegend() {
  const scale = $("legend-scale");
  scale.replaceChildren();
  for (let b = 0; b <= SCALE_BITS; b += 2) {
    const cell = document.createElement("span");
    cell.textContent = b === SCALE_BITS ? `${b}+` : String(b);
    cell.style.background = heatColor(b);
    scale.append(cell);
  }
}

function panel(name) {
  return document.querySelector(`.model[data-model="${CSS.escape(name)}"]`);
}

function buildPanels(models) {
  const main = $("models");
  main.replaceChildren();
  for (const m of models) {
    const div = document.createElement("div");
    div.className = "model";
    div.dataset.model = m.name;
    div.innerHTML = `
      <h2></h2>
      <pre class="output"></pre>
      <h3>Next token</h3>
      <div class="step-text"></div>
      <div class="step-note"></div>
      <div class="bars"></div>
      <div class="step-buttons">
        <button type="button" class="sample">Sample next</button>
        <button type="button" class="undo">Undo</button>
      </div>
      <div class="warnings"></div>
      <h3>Surprisal</h3>
      <div class="heat-summary"></div>
      <div class="heat"></div>`;
    div.querySelector("h2").append(m.name, " ");
    const meta = document.createElement("span");
    meta.className = "meta";
    meta.textContent = `${m.kind}, ${m.unit} tokens, vocabulary ${m.vocab_size}`;
    div.querySelector("h2").append(meta);
    div.querySelector(".sample").addEventListener("click", () => step(m.name, null));
    div.querySelector(".undo").addEventListener("click", () => undo(m.name));
    main.append(div);
    walks.set(m.name, {tokens: null, steps: 0});
  }
}

function renderBars(model, dist) {
  const div = panel(model);
  div.querySelector(".step-text").textContent = dist.text || "(start of text)";
  div.querySelector(".step-note").textContent =
    `${dist.sampling}: ${dist.kept} of ${dist.candidates} tokens can be drawn`;
  const bars = div.querySelector(".bars");
  bars.replaceChildren();
  const unit = div.dataset.unit;
  dist.top.forEach((c, i) => {
    const row = document.createElement("div");
    row.className = "bar-row" + (c.sampled_prob > 0 ? "" : " cut");
    row.dataset.token = c.token;
    row.dataset.prob = c.prob;
    row.dataset.sampledProb = c.sampled_prob;
    const shown = label(c.token, (dist.shown || [])[i], unit);
    row.title = `${shown.text}: ${c.prob.toFixed(4)} before, ${c.sampled_prob.toFixed(4)} after`;
    const name = document.createElement("span");
    name.className = "token" + (shown.special ? " special" : "");
    name.textContent = shown.text;
    const track = document.createElement("span");
    track.className = "track";
    for (const [cls, p] of [["before", c.prob], ["after", c.sampled_prob]]) {
      const bar = document.createElement("span");
      bar.className = `bar ${cls}`;
      bar.style.width = `${(100 * p).toFixed(2)}%`;
      track.append(bar);
    }
    const nums = document.createElement("span");
    nums.className = "nums";
    nums.textContent = `${c.prob.toFixed(3)} → ${c.sampled_prob.toFixed(3)}`;
    row.append(name, track, nums);
    row.addEventListener("click", () => step(model, c.token));
    bars.append(row);
  });
  div.querySelector(".warnings").textContent = (dist.warnings || []).join(" ");
}

async function refresh(name) {
  const walk = walks.get(name);
  const body = {...settings(), model: name, top_n: 10};
  if (walk.tokens === null) body.prompt = $("prompt").value;
  else body.tokens = walk.tokens;
  const dist = await api("/api/next", body);
  walk.tokens = dist.context;
  renderBars(name, dist);
}

async function refreshAll() {
  try {
    await Promise.all([...walks.keys()].map(refresh));
    showError("");
    document.body.dataset.refreshes = String(Number(document.body.dataset.refreshes || 0) + 1);
  } catch (err) {
    showError(err.message);
  }
}

async function step(name, pick) {
  const walk = walks.get(name);
  try {
    const s = settings();
    const out = await api("/api/step", {
      ...s, model: name, tokens: walk.tokens, pick, seed: (s.seed || 0) + walk.steps,
    });
    walk.tokens = out.tokens;
    walk.steps += 1;
    await refresh(name);
    showError("");
  } catch (err) {
    showError(err.message);
  }
}

async function undo(name) {
  const walk = walks.get(name);
  if (walk.tokens && walk.tokens.length) walk.tokens = walk.tokens.slice(0, -1);
  try {
    await refresh(name);
  } catch (err) {
    showError(err.message);
  }
}

function startSteps() {
  for (const walk of walks.values()) {
    walk.tokens = null;
    walk.steps = 0;
  }
  return refreshAll();
}

async function generate() {
  try {
    const out = await api("/api/generate", {...settings(), prompt: $("prompt").value});
    for (const r of out.results) {
      const pre = panel(r.model).querySelector(".output");
      pre.classList.toggle("error", Boolean(r.error));
      pre.textContent = r.error || r.full_text;
    }
    // The next-token panels follow the prompt just generated from, not an old walk.
    await startSteps();
    document.body.dataset.generated = String(Number(document.body.dataset.generated || 0) + 1);
    showError("");
  } catch (err) {
    showError(err.message);
  }
}

function heatSpan(t, unit) {
  // One token of the heat map, coloured by its bits per character (with the bits of
  // spelling an unknown word out); tokens with no text get a small mark.
  const span = document.createElement("span");
  const bits = t.bits + (t.spelling_bits || 0);
  const perChar = bits / Math.max(t.chars, 1);
  const shown = label(t.token, t.text, unit);
  if (!t.text || t.text.includes("\n")) { // a sentence end, a paragraph or line break
    span.textContent = t.token === "<eos>" ? "·" : "¶";
    span.classList.add("special");
  } else {
    span.textContent = t.text; // a character model's space is a coloured space
  }
  span.style.background = heatColor(perChar);
  span.dataset.bitsPerChar = perChar.toFixed(4);
  let title = `${shown.text}: ${bits.toFixed(2)} bits`;
  if (t.oov) {
    title += ` (${t.bits.toFixed(2)} as <unk>, outside the vocabulary, ` +
      `+ ${t.spelling_bits.toFixed(2)} to spell it out)`;
    span.classList.add("oov");
  }
  span.title = `${title}, ${perChar.toFixed(2)} bits/char`;
  return span;
}

async function surprisal() {
  try {
    const out = await api("/api/surprisal", {text: $("surprisal-text").value});
    for (const r of out.results) {
      const div = panel(r.model);
      const heat = div.querySelector(".heat");
      heat.replaceChildren();
      const summary = div.querySelector(".heat-summary");
      if (r.error) {
        summary.textContent = r.error;
        summary.classList.add("panel-error");
        continue;
      }
      summary.classList.remove("panel-error");
      const unknown = r.tokens.filter((t) => t.oov).length;
      summary.textContent =
        `${r.bits_per_char.toFixed(3)} bits/char (${r.bits.toFixed(1)} bits over ${r.chars} ` +
        `characters, ${r.tokens.length} ${r.unit} tokens` +
        (unknown ? `, ${unknown} unknown, spelled out` : "") + ")";
      summary.dataset.bitsPerChar = r.bits_per_char;
      heat.classList.toggle("char", r.unit === "char");
      for (const t of r.tokens) {
        const span = heatSpan(t, r.unit);
        heat.append(span);
        if (span.textContent === "¶" || (r.unit === "char" && t.token === "\n")) {
          heat.append(document.createElement("br"));
        } else if (r.unit !== "char") {
          heat.append(" ");
        }
      }
    }
    document.body.dataset.surprisals = String(Number(document.body.dataset.surprisals || 0) + 1);
    showError("");
  } catch (err) {
    showError(err.message);
  }
}

function scheduleRefresh() {
  $("temperature-value").textContent = Number($("temperature").value).toFixed(2);
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(refreshAll, 120);
}

async function main() {
  for (const id of ["greedy", "temperature", "top-k", "top-p"]) {
    $(id).addEventListener("input", scheduleRefresh);
  }
  $("generate").addEventListener("click", generate);
  $("step-start").addEventListener("click", startSteps);
  $("surprisal-go").addEventListener("click", surprisal);
  buildLegend();
  try {
    const info = await api("/api/models");
    buildPanels(info.models);
    for (const m of info.models) panel(m.name).dataset.unit = m.unit;
    await startSteps();
    document.body.dataset.ready = "true";
  } catch (err) {
    showError(err.message);
  }
}

main();
