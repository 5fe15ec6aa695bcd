// Collections and keys on the chat page. The picker lists the collections the key of this tab may read
// (public ones without a key); every request names the chosen collection and carries the key. The key
// lives in sessionStorage (this tab, until it closes), never in localStorage; the chosen collection is
// remembered across visits. Each collection has its own conversation: history never crosses them.
"use strict";

const KEY_STORAGE = "rag-service.api-key";
const COLLECTION_STORAGE = "rag-service.collection";
let collection = localStorage.getItem(COLLECTION_STORAGE) || "default";
let collections = [];
const collectionListeners = [];

function storedKey() { return sessionStorage.getItem(KEY_STORAGE); }

function withAuth(headers = {}) {
  const key = storedKey();
  return key ? { ...headers, Authorization: `Bearer ${key}` } : headers;
}

function inCollection(path) {
  if (collection === "default") return path;  // the requests the page always sent
  const sep = path.includes("?") ? "&" : "?";
  return `${path}${sep}collection=${encodeURIComponent(collection)}`;
}

function apiFetch(path, options = {}) {
  return fetch(inCollection(path), { ...options, headers: withAuth(options.headers || {}) });
}

function setStatus(text) { document.getElementById("access-status").textContent = text; }

async function loadCollections() {
  const select = document.getElementById("collection");
  document.getElementById("forget-key").hidden = !storedKey();
  let list = [];
  try {
    const response = await fetch("/api/collections", { headers: withAuth() });
    if (!response.ok) throw new Error(await errorDetail(response));
    list = await response.json();
    collections = list;
  } catch (err) {
    setStatus(`Cannot list the collections: ${err.message}`);
    return;
  }
  const refused = storedKey() && !list.some((c) => c.visibility === "private" || c.may_write);
  setStatus(storedKey() ? (refused ? "This key gives no more than reading public collections." : "Key in use.") : "");
  select.replaceChildren(...list.map((c) => {
    const option = document.createElement("option");
    option.value = c.name;
    option.textContent = c.visibility === "private" ? `${c.name} (private)` : c.name;
    return option;
  }));
  const previous = collection;
  if (!list.some((c) => c.name === collection)) collection = "default";
  select.value = collection;
  if (collection !== previous) chooseCollection(collection);
  showCollectionAdmin();
}

// Creating and deleting collections, shown to a key that administers one (the server decides the rest).
function showCollectionAdmin() {
  const current = collections.find((c) => c.name === collection);
  document.getElementById("collection-admin").hidden = !collections.some((c) => c.may_admin);
  document.getElementById("delete-collection").hidden = collection === "default" || !current || !current.may_admin;
}

async function createCollection(name, visibility) {
  const status = document.getElementById("collection-admin-status");
  const response = await fetch("/api/collections", {
    method: "POST",
    headers: withAuth({ "Content-Type": "application/json" }),
    body: JSON.stringify({ name, visibility }),
  });
  if (!response.ok) { status.textContent = `Not created: ${await errorDetail(response)}`; return; }
  status.textContent = `Created ${visibility} collection ${name}.`;
  await loadCollections();
  document.getElementById("collection").value = name;
  chooseCollection(name);
}

async function deleteCollection() {
  const name = collection;
  if (!window.confirm(`Delete the collection “${name}” with all its documents? This cannot be undone.`)) return;
  const status = document.getElementById("collection-admin-status");
  const response = await fetch(`/api/collections/${encodeURIComponent(name)}`, { method: "DELETE", headers: withAuth() });
  status.textContent = response.ok ? `Deleted collection ${name}.` : `Not deleted: ${await errorDetail(response)}`;
  await loadCollections();
}

function chooseCollection(name) {
  collection = name;
  localStorage.setItem(COLLECTION_STORAGE, name);
  showCollectionAdmin();
  collectionListeners.forEach((listener) => listener(name));
}

function onCollectionChange(listener) { collectionListeners.push(listener); }

function useKey(key) {
  sessionStorage.setItem(KEY_STORAGE, key);
  return loadCollections();
}

function initAccess() {
  const form = document.getElementById("access-form");
  const input = document.getElementById("access-key");
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const key = input.value.trim();
    if (!key) return;
    input.value = "";
    useKey(key);
  });
  document.getElementById("forget-key").addEventListener("click", () => {
    sessionStorage.removeItem(KEY_STORAGE);
    loadCollections();
  });
  document.getElementById("collection").addEventListener("change", (e) => chooseCollection(e.target.value));
  document.getElementById("new-collection-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const input = document.getElementById("new-collection-name");
    const name = input.value.trim();
    if (!name) return;
    input.value = "";
    createCollection(name, document.getElementById("new-collection-visibility").value);
  });
  document.getElementById("delete-collection").addEventListener("click", deleteCollection);
  loadCollections();
}
