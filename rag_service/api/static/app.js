// rag-service chat page: no framework, no build step, nothing loaded from outside this server.
// The conversation lives in localStorage; each question is sent with the earlier turns as history
// and the answer is read from /api/chat as server-sent events. Requests go through access.js, which
// names the chosen collection and carries the tab's key.
"use strict";

const STORAGE_PREFIX = "rag-service.conversation.v1";
const MAX_HISTORY = 20;
const els = {};
let conversation = [];
let busy = false;
const sourceCache = new Map();

// One conversation per collection; the default one keeps the key it always had.
function storageKey() { return collection === "default" ? STORAGE_PREFIX : `${STORAGE_PREFIX}.${collection}`; }
function load() {
  try { conversation = JSON.parse(localStorage.getItem(storageKey()) || "[]"); } catch { conversation = []; }
  if (!Array.isArray(conversation)) conversation = [];
}
function save() { localStorage.setItem(storageKey(), JSON.stringify(conversation)); }

function escapeHtml(text) {
  return text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
}

// Answer text with [n] markers turned into buttons that open the cited passage. The text is Markdown-safe:
// a document's own [ ] < > ` \ arrive escaped with a backslash (so a literal "[1]" in a document reads
// "\[1\]" and never becomes a marker); they are shown as the plain characters. An unescaped backtick opens
// a code span the answerer wrote (a command a quoted sentence introduces), shown as code.
function answerHtml(text, citations) {
  const known = new Set((citations || []).map((c) => c.n));
  return text.split(/(\\.|\[\d+\]|(?<!`)(`+)(?!`)[^]*?[^`]\2(?!`))/).filter((part, i) => i % 3 !== 2 && part !== undefined).map((part) => {
    const code = /^(`+)(?!`)([^]*?[^`])\1$/.exec(part);
    if (code) {
      const inner = code[2].length > 1 && code[2].startsWith(" ") && code[2].endsWith(" ") ? code[2].slice(1, -1) : code[2];
      return `<code>${escapeHtml(inner)}</code>`;
    }
    const marker = /^\[(\d+)\]$/.exec(part);
    if (marker && known.has(Number(marker[1]))) {
      const n = marker[1];
      return `<button type="button" class="cite" data-n="${n}" aria-label="[${n}] show the source">[${n}]</button>`;
    }
    return escapeHtml(/^\\.$/.test(part) ? part[1] : part);
  }).join("");
}

// The words that answer (a citation's answer_span: document offsets inside its quote) in bold.
function quoteHtml(c) {
  const flat = (s) => s.replace(/\s+/g, " ");
  if (!c.answer_span) {
    const quote = flat(c.quote).trim();
    return escapeHtml(quote.length > 140 ? `${quote.slice(0, 140)}…` : quote);
  }
  const [a, b] = c.answer_span.map((offset) => offset - c.start);
  const before = flat(c.quote.slice(0, a)).trimStart();
  const words = flat(c.quote.slice(a, b));
  let after = flat(c.quote.slice(b)).trimEnd();
  const room = Math.max(0, 140 - before.length - words.length);
  if (after.length > room) after = `${after.slice(0, room)}…`;
  return `${escapeHtml(before)}<strong class="answer-span">${escapeHtml(words)}</strong>${escapeHtml(after)}`;
}

// The same words in the answer's first sentence (the text before its first marker), when they are there.
function markAnswerSpan(container, citations) {
  const first = citations && citations[0];
  if (!first || !first.answer_span) return;
  const [a, b] = first.answer_span.map((offset) => offset - first.start);
  const words = first.quote.slice(a, b).replace(/\s+/g, " ");
  for (const node of Array.from(container.childNodes)) {
    if (node.nodeType !== Node.TEXT_NODE) return; // past the first sentence's marker
    const at = node.data.indexOf(words);
    if (at < 0) continue;
    const range = document.createRange();
    range.setStart(node, at);
    range.setEnd(node, at + words.length);
    const strong = document.createElement("strong");
    strong.className = "answer-span";
    range.surroundContents(strong);
    return;
  }
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
  markAnswerSpan(text, msg.citations);
  div.appendChild(text);
  if (msg.citations && msg.citations.length) {
    const list = document.createElement("ol");
    list.className = "sources";
    list.setAttribute("aria-label", "Sources");
    for (const c of msg.citations) {
      const li = document.createElement("li");
      li.value = c.n;
      const reader = c.voice && c.voice !== "author" ? ' <span class="reader">(reader comment)</span>' : "";
      const where = [c.source, c.page ? `page ${c.page}` : "", c.heading || c.section].filter(Boolean);
      li.innerHTML = `<button type="button" class="cite" data-n="${c.n}">${escapeHtml(c.title)}` +
        `<span class="visually-hidden"> (show source ${c.n})</span></button> · ` +
        `${where.map(escapeHtml).join(" · ")}${reader}<span class="quote">“${quoteHtml(c)}”</span>`;
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
    const response = await apiFetch("/api/chat", {
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
  const cached = `${collection}/${name}`;
  if (!sourceCache.has(cached)) {
    const response = await apiFetch(`/api/sources/${encodeURIComponent(name)}`);
    if (!response.ok) throw new Error(await errorDetail(response));
    sourceCache.set(cached, await response.json());
  }
  return sourceCache.get(cached);
}

// Offsets count Unicode code points (Python str indexes), so slice by code points, not UTF-16 units.
function highlighted(doc, start, end) {
  const chars = Array.from(doc.text);
  const part = (a, b) => escapeHtml(chars.slice(a, b).join(""));
  return `${part(0, start)}<mark id="highlight">${part(start, end)}</mark>${part(end, chars.length)}`;
}

let returnFocus = null;
let sourceMode = "page";

function showPanel(which) {
  els.panel.hidden = which !== "source";
  els.docsPanel.hidden = which !== "documents";
  els.layout.classList.toggle("with-source", which !== null);
  els.docsToggle.setAttribute("aria-expanded", String(which === "documents"));
}

// A PDF citation opens its page as the server renders it, with the quoted lines marked; the extracted
// text stays one click away (and is what other formats show).
async function showPage(doc, citation) {
  const name = encodeURIComponent(doc.name);
  els.pageImage.alt = `Page ${citation.page} of ${doc.title}, with the cited passage marked`;
  els.pageView.querySelectorAll(".page-mark").forEach((m) => m.remove());
  // With a key the image is fetched with it (an <img src> cannot send one) and shown from a blob URL.
  const loaded = new Promise((resolve) => { els.pageImage.onload = resolve; els.pageImage.onerror = resolve; });
  const imagePath = `/api/documents/${name}/pages/${citation.page}.png`;
  if (els.pageImage.src.startsWith("blob:")) URL.revokeObjectURL(els.pageImage.src);
  if (storedKey()) {
    const image = await apiFetch(imagePath);
    els.pageImage.src = image.ok ? URL.createObjectURL(await image.blob()) : "";
  } else {
    els.pageImage.src = inCollection(imagePath);
  }
  const response = await apiFetch(`/api/documents/${name}/pages/${citation.page}/highlight?start=${citation.start}&end=${citation.end}`);
  const found = response.ok ? await response.json() : { rects: [] };
  await loaded;
  for (const [left, top, right, bottom] of found.rects) {
    const mark = document.createElement("div");
    mark.className = "page-mark";
    Object.assign(mark.style, {
      left: `${left * 100}%`, top: `${top * 100}%`,
      width: `${(right - left) * 100}%`, height: `${(bottom - top) * 100}%`,
    });
    els.pageView.appendChild(mark);
  }
  const first = els.pageView.querySelector(".page-mark");
  if (first) first.scrollIntoView({ block: "center" });
}

function setSourceMode(mode, hasPage) {
  sourceMode = mode;
  els.sourceView.hidden = !hasPage;
  const onPage = hasPage && mode === "page";
  els.pageView.hidden = !onPage;
  els.sourceText.hidden = onPage;
  els.sourceView.textContent = onPage ? "Show extracted text" : "Show the page";
}

let openCitationArgs = null;
async function openCitation(msg, n, opener) {
  const citation = (msg.citations || []).find((c) => c.n === n);
  if (!citation) return;
  returnFocus = opener;
  openCitationArgs = [msg, n, opener];
  let hasPage = false;
  try {
    const doc = await fetchSource(citation.source);
    els.sourceTitle.textContent = `[${n}] ${doc.title}`;
    const bits = [doc.name, doc.author, doc.publisher, doc.date,
      citation.page ? `page ${citation.page}` : "", citation.heading || `section: ${citation.section}`]
      .filter(Boolean);
    if (citation.voice && citation.voice !== "author") bits.push("reader comment, not the document's position");
    els.sourceMeta.textContent = bits.join(" · ");
    els.sourceText.innerHTML = highlighted(doc, citation.start, citation.end);
    hasPage = Boolean(citation.page);
    setSourceMode(sourceMode, hasPage);
    showPanel("source");
    if (hasPage && sourceMode === "page") await showPage(doc, citation);
  } catch (err) {
    els.sourceTitle.textContent = "Source unavailable";
    els.sourceMeta.textContent = "";
    els.sourceText.textContent = err.message;
    setSourceMode("text", false);
  }
  showPanel("source");
  const mark = document.getElementById("highlight");
  if (mark && !els.sourceText.hidden) mark.scrollIntoView({ block: "center" });
  els.sourceTitle.focus({ preventScroll: true });
}

function closeSource() {
  showPanel(null);
  if (returnFocus && document.body.contains(returnFocus)) returnFocus.focus();
}

// ---- Documents panel: the chosen collection's list, and (when the server takes keys) upload and delete.
let writable = false;
let keyWaiters = [];

function formatSize(bytes) {
  if (bytes == null) return "";
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(0)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

async function refreshDocuments() {
  try {
    const response = await apiFetch("/api/documents");
    if (!response.ok) throw new Error(await errorDetail(response));
    const data = await response.json();
    // Controls for a server that takes keys; hidden when this tab's key cannot write to the collection.
    writable = data.writable && (!storedKey() || data.may_write);
    els.manage.hidden = !writable;
    els.docList.replaceChildren(...data.documents.map(documentItem));
    els.docsError.textContent = data.skipped.length
      ? `Not indexed: ${data.skipped.map((s) => s.reason).join("; ")}` : "";
  } catch (err) {
    els.docsError.textContent = `Cannot list the documents: ${err.message}`;
  }
  if (!jobRunning) refreshJob(); // jobs.js; while a job runs its own timer refreshes it
}

function documentItem(doc) {
  const li = document.createElement("li");
  li.dataset.name = doc.name;
  const title = document.createElement("span");
  title.className = "doc-title";
  title.textContent = doc.title;
  const meta = document.createElement("span");
  meta.className = "meta";
  const pages = doc.pages ? `${doc.pages} page${doc.pages === 1 ? "" : "s"}` : "";
  meta.textContent = [doc.name, doc.type.toUpperCase(), pages, formatSize(doc.size)].filter(Boolean).join(" · ");
  li.append(title, meta);
  if (doc.notes.length) {
    const notes = document.createElement("span");
    notes.className = "meta";
    notes.textContent = doc.notes.join("; ");
    li.append(notes);
  }
  if (writable) {
    const remove = document.createElement("button");
    remove.type = "button";
    remove.className = "delete";
    remove.textContent = "Delete";
    remove.setAttribute("aria-label", `Delete ${doc.title}`);
    remove.addEventListener("click", () => deleteDocument(doc));
    li.append(remove);
  }
  return li;
}

// The API key is asked for once, when first needed, and kept in this tab's session storage.
function apiKey() {
  const known = sessionStorage.getItem(KEY_STORAGE);
  if (known) return Promise.resolve(known);
  els.keyForm.hidden = false;
  els.keyInput.focus();
  return new Promise((resolve) => keyWaiters.push(resolve));
}

function forgetKey(message) {
  sessionStorage.removeItem(KEY_STORAGE);
  els.docsError.textContent = message;
}

async function deleteDocument(doc) {
  if (!window.confirm(`Delete “${doc.title}” (${doc.name})? Answers will stop citing it.`)) return;
  const key = await apiKey();
  const response = await apiFetch(`/api/documents/${encodeURIComponent(doc.name)}`, {
    method: "DELETE", headers: { Authorization: `Bearer ${key}` },
  });
  if (response.status === 401) forgetKey("The API key was refused: enter it again.");
  else if (!response.ok) els.docsError.textContent = `Could not delete ${doc.name}: ${await errorDetail(response)}`;
  else els.docsError.textContent = "";
  sourceCache.delete(`${collection}/${doc.name}`);
  await refreshDocuments();
}

function uploadOne(file, key) {
  const li = document.createElement("li");
  const name = document.createElement("span");
  name.textContent = file.name;
  const bar = document.createElement("progress");
  bar.max = 100;
  bar.value = 0;
  bar.setAttribute("aria-label", `Uploading ${file.name}`);
  const state = document.createElement("span");
  state.className = "state";
  state.textContent = "uploading…";
  li.append(name, bar, state);
  els.uploads.append(li);
  return new Promise((resolve) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", inCollection("/api/documents"));
    xhr.setRequestHeader("Authorization", `Bearer ${key}`);
    xhr.upload.onprogress = (e) => { if (e.lengthComputable) bar.value = (100 * e.loaded) / e.total; };
    xhr.upload.onload = () => { state.textContent = "indexing…"; };
    const fail = (message) => { li.classList.add("error"); state.textContent = message; resolve(xhr.status); };
    xhr.onerror = () => fail("cannot reach the server");
    xhr.onload = () => {
      let body = {};
      try { body = JSON.parse(xhr.responseText); } catch { /* not JSON */ }
      if (xhr.status === 401) { forgetKey("The API key was refused: enter it again."); fail("API key refused"); return; }
      if (xhr.status !== 200) { fail(typeof body.detail === "string" ? body.detail : `error ${xhr.status}`); return; }
      bar.value = 100;
      const stored = body.uploaded[0];
      li.classList.add("done");
      state.textContent = stored.replaced ? `replaced as ${stored.name}` : `added as ${stored.name}`;
      sourceCache.delete(`${collection}/${stored.name}`);
      resolve(200);
    };
    const form = new FormData();
    form.append("files", file, file.name);
    xhr.send(form);
  });
}

async function uploadFiles(files) {
  if (!files.length) return;
  const key = await apiKey();
  for (const file of files) await uploadOne(file, key);
  await refreshDocuments();
}

function toggleDocuments() {
  if (els.docsPanel.hidden) {
    showPanel("documents");
    refreshDocuments();
    els.docsTitle.focus({ preventScroll: true });
  } else {
    showPanel(null);
    els.docsToggle.focus();
  }
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
    sourceView: document.getElementById("source-view"),
    pageView: document.getElementById("page-view"),
    pageImage: document.getElementById("page-image"),
    docsPanel: document.getElementById("documents-panel"),
    docsToggle: document.getElementById("documents-toggle"),
    docsTitle: document.getElementById("documents-title"),
    docList: document.getElementById("document-list"),
    docsError: document.getElementById("documents-error"),
    manage: document.getElementById("manage"),
    keyForm: document.getElementById("key-form"),
    keyInput: document.getElementById("api-key"),
    fileInput: document.getElementById("file-input"),
    dropZone: document.getElementById("drop-zone"),
    uploads: document.getElementById("upload-status"),
  });
  const start = () => {
    load();
    // An answer cut off by a reload is kept, marked as interrupted.
    conversation.forEach((m) => { if (m.streaming) { delete m.streaming; if (!m.content) m.error = "interrupted"; } });
    render();
  };
  start();
  onCollectionChange(() => {
    if (!els.panel.hidden) closeSource();
    start();
    if (!els.docsPanel.hidden) refreshDocuments();
  });
  initAccess();
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
    if (!els.panel.hidden) closeSource();
    render();
    els.question.focus();
  });
  document.getElementById("close-source").addEventListener("click", closeSource);
  document.addEventListener("keydown", (e) => {
    if (e.key !== "Escape") return;
    if (!els.panel.hidden) closeSource();
    else if (!els.docsPanel.hidden) toggleDocuments();
  });
  els.sourceView.addEventListener("click", () => {
    sourceMode = sourceMode === "page" ? "text" : "page";
    if (openCitationArgs) openCitation(...openCitationArgs);
  });
  els.docsToggle.addEventListener("click", toggleDocuments);
  document.getElementById("close-documents").addEventListener("click", toggleDocuments);
  els.keyForm.addEventListener("submit", (e) => {
    e.preventDefault();
    const key = els.keyInput.value.trim();
    if (!key) return;
    useKey(key);
    els.keyInput.value = "";
    els.keyForm.hidden = true;
    els.docsError.textContent = "";
    const waiting = keyWaiters;
    keyWaiters = [];
    waiting.forEach((resolve) => resolve(key));
  });
  document.getElementById("add-documents").addEventListener("click", () => els.fileInput.click());
  els.fileInput.addEventListener("change", () => {
    const files = Array.from(els.fileInput.files);
    els.fileInput.value = "";
    uploadFiles(files);
  });
  els.dropZone.addEventListener("dragover", (e) => { e.preventDefault(); els.dropZone.classList.add("over"); });
  els.dropZone.addEventListener("dragleave", () => els.dropZone.classList.remove("over"));
  els.dropZone.addEventListener("drop", (e) => {
    e.preventDefault();
    els.dropZone.classList.remove("over");
    uploadFiles(Array.from(e.dataTransfer.files));
  });
  els.question.focus();
}

document.addEventListener("DOMContentLoaded", init);
