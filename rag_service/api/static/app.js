// rag-service chat page: no framework, no build step, nothing loaded from outside this server.
// The conversation lives in localStorage; each question is sent with the earlier turns as history
// and the answer is read from /api/chat as server-sent events.
"use strict";

const STORAGE_KEY = "rag-service.conversation.v1";
const MAX_HISTORY = 20;
const els = {};
let conversation = [];
let busy = false;
const sourceCache = new Map();

function load() {
  try { conversation = JSON.parse(localStorage.getItem(STORAGE_KEY) || "[]"); } catch { conversation = []; }
  if (!Array.isArray(conversation)) conversation = [];
}
function save() { localStorage.setItem(STORAGE_KEY, JSON.stringify(conversation)); }

function escapeHtml(text) {
  return text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
}

// Answer text with [n] markers turned into buttons that open the cited passage.
function answerHtml(text, citations) {
  const known = new Set((citations || []).map((c) => c.n));
  return escapeHtml(text).replace(/\[(\d+)\]/g, (m, n) =>
    known.has(Number(n))
      ? `<button type="button" class="cite" data-n="${n}" aria-label="Show source ${n}">[${n}]</button>`
      : m);
}

function renderMessage(msg, index) {
  const div = document.createElement("div");
  div.className = `msg ${msg.role}`;
  div.dataset.index = String(index);
  if (msg.role === "user") {
    div.textContent = msg.content;
    return div;
  }
  if (msg.error) {
    div.classList.add("error");
    div.setAttribute("role", "alert");
    div.textContent = `Error: ${msg.error}`;
    return div;
  }
  if (msg.streaming) div.classList.add("streaming");
  if (msg.not_found) {
    div.classList.add("not-found");
    const badge = document.createElement("span");
    badge.className = "badge";
    badge.textContent = "Not in the documents";
    div.appendChild(badge);
  }
  const text = document.createElement("div");
  text.className = "text";
  text.innerHTML = answerHtml(msg.content || "", msg.citations);
  div.appendChild(text);
  if (msg.citations && msg.citations.length) {
    const list = document.createElement("ol");
    list.className = "sources";
    list.setAttribute("aria-label", "Sources");
    for (const c of msg.citations) {
      const li = document.createElement("li");
      li.value = c.n;
      const reader = c.voice && c.voice !== "author" ? ' <span class="reader">(reader comment)</span>' : "";
      const quote = c.quote.replace(/\s+/g, " ").trim();
      const short = quote.length > 140 ? `${quote.slice(0, 140)}…` : quote;
      li.innerHTML = `<button type="button" class="cite" data-n="${c.n}" aria-label="Show source ${c.n}">` +
        `${escapeHtml(c.title)}</button> · ${escapeHtml(c.source)} · ${escapeHtml(c.section)}${reader}` +
        `<span class="quote">“${escapeHtml(short)}”</span>`;
      list.appendChild(li);
    }
    div.appendChild(list);
  }
  const checks = (msg.grounding && msg.grounding.sentences) || [];
  const unsupported = checks.filter((s) => !s.supported);
  if (unsupported.length) {
    const warn = document.createElement("p");
    warn.className = "grounding-warning";
    warn.textContent = `${unsupported.length} of ${checks.length} sentences are not supported by the cited ` +
      `passages: ${unsupported.map((s) => `“${s.text}”`).join(" ")}`;
    div.appendChild(warn);
  }
  if (msg.notes && msg.notes.length) {
    const notes = document.createElement("p");
    notes.className = "notes";
    notes.textContent = msg.notes.join(" ");
    div.appendChild(notes);
  }
  div.querySelectorAll(".cite").forEach((button) => {
    button.addEventListener("click", () => openCitation(msg, Number(button.dataset.n), button));
  });
  return div;
}

function render() {
  els.messages.querySelectorAll(".msg").forEach((m) => m.remove());
  els.empty.hidden = conversation.length > 0;
  conversation.forEach((msg, i) => els.messages.appendChild(renderMessage(msg, i)));
  els.messages.scrollTop = els.messages.scrollHeight;
}

function rerender(index) {
  const old = els.messages.querySelector(`.msg[data-index="${index}"]`);
  const fresh = renderMessage(conversation[index], index);
  if (old) old.replaceWith(fresh); else els.messages.appendChild(fresh);
  els.messages.scrollTop = els.messages.scrollHeight;
}

function historyFor(upTo) {
  return conversation.slice(0, upTo)
    .filter((m) => !m.error && m.content)
    .map((m) => ({ role: m.role, content: m.content }))
    .slice(-MAX_HISTORY);
}

async function errorDetail(response) {
  try {
    const body = await response.json();
    if (typeof body.detail === "string") return body.detail;
    if (Array.isArray(body.detail)) return body.detail.map((d) => d.msg).join("; ");
  } catch { /* not JSON */ }
  return `the server answered ${response.status}`;
}

async function ask(question) {
  busy = true;
  els.send.disabled = true;
  const history = historyFor(conversation.length);
  conversation.push({ role: "user", content: question });
  const index = conversation.push({ role: "assistant", content: "", streaming: true }) - 1;
  render();
  const msg = conversation[index];
  try {
    const response = await fetch("/api/chat", {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "text/event-stream" },
      body: JSON.stringify({ question, history }),
    });
    if (!response.ok) throw new Error(await errorDetail(response));
    await readEvents(response, (event, data) => {
      if (event === "delta") msg.content += data.text;
      else if (event === "citations") Object.assign(msg, {
        citations: data.citations, not_found: data.not_found, notes: data.notes,
        standalone_question: data.standalone_question, grounding: data.grounding,
      });
      else if (event === "done") msg.content = data.answer;
      else if (event === "error") throw new Error(data.detail);
      rerender(index);
    });
    if (!msg.content) throw new Error("the answer stream ended early; try again");
  } catch (err) {
    msg.error = err instanceof TypeError ? "cannot reach the server; check that it is running" : err.message;
  } finally {
    delete msg.streaming;
    save();
    rerender(index);
    busy = false;
    els.send.disabled = false;
    els.question.focus();
  }
}

// Minimal SSE reader over fetch (EventSource cannot POST).
async function readEvents(response, onEvent) {
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let cut;
    while ((cut = buffer.indexOf("\n\n")) >= 0) {
      const frame = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      let event = "message";
      const data = [];
      for (const line of frame.split("\n")) {
        if (line.startsWith("event:")) event = line.slice(6).trim();
        else if (line.startsWith("data:")) data.push(line.slice(5).trimStart());
      }
      if (data.length) onEvent(event, JSON.parse(data.join("\n")));
    }
  }
}

async function fetchSource(name) {
  if (!sourceCache.has(name)) {
    const response = await fetch(`/api/sources/${encodeURIComponent(name)}`);
    if (!response.ok) throw new Error(await errorDetail(response));
    sourceCache.set(name, await response.json());
  }
  return sourceCache.get(name);
}

// Offsets count Unicode code points (Python str indexes), so slice by code points, not UTF-16 units.
function highlighted(doc, start, end) {
  const chars = Array.from(doc.text);
  const part = (a, b) => escapeHtml(chars.slice(a, b).join(""));
  return `${part(0, start)}<mark id="highlight">${part(start, end)}</mark>${part(end, chars.length)}`;
}

let returnFocus = null;
async function openCitation(msg, n, opener) {
  const citation = (msg.citations || []).find((c) => c.n === n);
  if (!citation) return;
  returnFocus = opener;
  try {
    const doc = await fetchSource(citation.source);
    els.sourceTitle.textContent = `[${n}] ${doc.title}`;
    const bits = [doc.name, doc.author, doc.publisher, doc.date, `section: ${citation.section}`]
      .filter(Boolean);
    if (citation.voice && citation.voice !== "author") bits.push("reader comment, not the document's position");
    els.sourceMeta.textContent = bits.join(" · ");
    els.sourceText.innerHTML = highlighted(doc, citation.start, citation.end);
  } catch (err) {
    els.sourceTitle.textContent = "Source unavailable";
    els.sourceMeta.textContent = "";
    els.sourceText.textContent = err.message;
  }
  els.panel.hidden = false;
  els.layout.classList.add("with-source");
  const mark = document.getElementById("highlight");
  if (mark) mark.scrollIntoView({ block: "center" });
  els.sourceTitle.focus({ preventScroll: true });
}

function closeSource() {
  els.panel.hidden = true;
  els.layout.classList.remove("with-source");
  if (returnFocus && document.body.contains(returnFocus)) returnFocus.focus();
}

function init() {
  Object.assign(els, {
    messages: document.getElementById("messages"),
    empty: document.getElementById("empty-state"),
    form: document.getElementById("ask-form"),
    question: document.getElementById("question"),
    send: document.getElementById("send"),
    panel: document.getElementById("source-panel"),
    layout: document.querySelector(".layout"),
    sourceTitle: document.getElementById("source-title"),
    sourceMeta: document.getElementById("source-meta"),
    sourceText: document.getElementById("source-text"),
  });
  load();
  // An answer cut off by a reload is kept, marked as interrupted.
  conversation.forEach((m) => { if (m.streaming) { delete m.streaming; if (!m.content) m.error = "interrupted"; } });
  render();
  els.form.addEventListener("submit", (e) => {
    e.preventDefault();
    const question = els.question.value.trim();
    if (!question || busy) return;
    els.question.value = "";
    ask(question);
  });
  els.question.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      els.form.requestSubmit();
    }
  });
  document.getElementById("new-conversation").addEventListener("click", () => {
    conversation = [];
    save();
    closeSource();
    render();
    els.question.focus();
  });
  document.getElementById("close-source").addEventListener("click", closeSource);
  document.addEventListener("keydown", (e) => { if (e.key === "Escape" && !els.panel.hidden) closeSource(); });
  els.question.focus();
}

document.addEventListener("DOMContentLoaded", init);
