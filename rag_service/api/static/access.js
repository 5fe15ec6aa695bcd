// Collections and keys on the chat page. The picker lists the collections the key of this tab may read
// (public ones without a key); every request names the chosen collection and carries the key. The key
// lives in sessionStorage (this tab, until it closes), never in localStorage; the chosen collection is
// remembered across visits. Each collection has its own conversation: history never crosses them.
"use strict";

const KEY_STORAGE = "rag-service.api-key";
const COLLECTION_STORAGE = "rag-service.collection";
let collection = localStorage.getItem(COLLECTION_STORAGE) || "default";
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
}

function chooseCollection(name) {
  collection = name;
  localStorage.setItem(COLLECTION_STORAGE, name);
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
  loadCollections();
}
