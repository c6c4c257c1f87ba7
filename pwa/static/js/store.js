// The phone's local store: one IndexedDB database per user, so a second rep on the same
// phone never sees the first one's customers or outbox.
//   entities: records pulled from the server (and ones created here, not yet synced)
//   meta:     key/value (cursor, device id, last sync, outbox counters)
//   outbox:   submissions waiting for, or holding, the server's verdict

const USER_KEY = "fs:user";
const DB_VERSION = 1;
let opened = null;

/** The user whose data this phone shows: remembered so the app opens offline. */
export function currentUser() {
  try {
    return JSON.parse(localStorage.getItem(USER_KEY) || "null");
  } catch {
    return null;
  }
}

export function setCurrentUser(user) {
  const previous = currentUser();
  localStorage.setItem(USER_KEY, JSON.stringify({
    id: user.id, full_name: user.full_name, role: user.role, email: user.email,
    // The builder warns offline when a discount needs approval.
    discount_limit_percent: user.discount_limit_percent ?? null,
    // ...and when an order for a customer onboarded on this phone will wait for credit.
    default_credit_limit_cents: user.default_credit_limit_cents ?? null,
  }));
  if (!previous || previous.id !== user.id) {
    if (opened) opened.then((db) => db.close()).catch(() => {});
    opened = null;
  }
}

/** After an explicit logout this phone shows nobody's data; the user's database (and its
 * outbox) stays, and is opened again, and flushed, at their next login. */
export function forgetCurrentUser() {
  localStorage.removeItem(USER_KEY);
  if (opened) opened.then((db) => db.close()).catch(() => {});
  opened = null;
}

function request(req) {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

export function openDb() {
  const user = currentUser();
  if (!user) return Promise.reject(new Error("No user has signed in on this phone yet."));
  if (opened) return opened;
  opened = new Promise((resolve, reject) => {
    const req = indexedDB.open(`fieldsales-${user.id}`, DB_VERSION);
    req.onupgradeneeded = () => {
      const db = req.result;
      const entities = db.createObjectStore("entities", { keyPath: ["type", "id"] });
      entities.createIndex("type", "type");
      db.createObjectStore("meta");
      const outbox = db.createObjectStore("outbox", { keyPath: "key" });
      outbox.createIndex("entity_id", "entity_id");
    };
    req.onsuccess = () => {
      const db = req.result;
      // Another tab upgrading the schema: step aside instead of blocking it.
      db.onversionchange = () => { db.close(); opened = null; };
      resolve(db);
    };
    req.onerror = () => { opened = null; reject(req.error); };
  });
  return opened;
}

/** Runs `fn(stores)` in one transaction; resolves with its result once committed. */
export async function transact(names, mode, fn) {
  const db = await openDb();
  return new Promise((resolve, reject) => {
    const tx = db.transaction(names, mode);
    const stores = Object.fromEntries(names.map((n) => [n, tx.objectStore(n)]));
    let result;
    Promise.resolve(fn(stores, request)).then((r) => { result = r; }, (e) => { tx.abort(); reject(e); });
    tx.oncomplete = () => resolve(result);
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error || new Error("The transaction was aborted."));
  });
}

export async function getEntity(type, id) {
  const row = await transact(["entities"], "readonly", (s) => request(s.entities.get([type, id])));
  return row ? row.data : undefined;
}

export async function allEntities(type) {
  const rows = await transact(["entities"], "readonly", (s) => request(s.entities.index("type").getAll(type)));
  return rows.map((r) => r.data);
}

export async function putEntity(type, id, data) {
  await transact(["entities"], "readwrite", (s) => request(s.entities.put({ type, id, data })));
  window.dispatchEvent(new CustomEvent("fs:data", { detail: { types: [type] } }));
}

export async function deleteEntity(type, id) {
  await transact(["entities"], "readwrite", (s) => request(s.entities.delete([type, id])));
  window.dispatchEvent(new CustomEvent("fs:data", { detail: { types: [type] } }));
}

/** Applies a page of pulled changes and its cursor atomically: a crash never leaves the
 * cursor ahead of the data.
 *
 * A page marked `reset` starts a snapshot that replaces everything pulled before (what the
 * user may see changed: another territory, an assignment that ended). Each pulled record
 * carries the number of the snapshot that brought it, so when the snapshot's last page is
 * in, the records it did not bring again are dropped; records made on this phone and not
 * yet synced stay. A crash in between resumes the snapshot from its cursor. */
export async function applyChanges(changes, cursor, { reset = false, last = true } = {}) {
  await transact(["entities", "meta"], "readwrite", async (s) => {
    let generation = (await request(s.meta.get("generation"))) || 0;
    let replacing = Boolean(await request(s.meta.get("replacing")));
    if (reset) {
      generation += 1;
      replacing = true;
      s.meta.put(generation, "generation");
      s.meta.put(true, "replacing");
    }
    for (const c of changes) {
      if (c.op === "delete") s.entities.delete([c.entity_type, c.entity_id]);
      else s.entities.put({ type: c.entity_type, id: c.entity_id, data: c.data, generation });
    }
    if (replacing && last) {
      await new Promise((resolve, reject) => {
        const walk = s.entities.openCursor();
        walk.onsuccess = () => {
          const row = walk.result;
          if (!row) return resolve();
          if (row.value.generation !== generation && !(row.value.data && row.value.data.local)) row.delete();
          row.continue();
        };
        walk.onerror = () => reject(walk.error);
      });
      s.meta.put(false, "replacing");
    }
    s.meta.put(cursor, "cursor");
  });
}

/** Meta key: when the last pull that ran to its end began (ISO time). What the server
 * accepted before then is in the store; what it accepted after may not be. */
export const LAST_PULL_BEGAN = "last_pull_began_at";

export async function getMeta(key) {
  return transact(["meta"], "readonly", (s) => request(s.meta.get(key)));
}

export async function setMeta(key, value) {
  await transact(["meta"], "readwrite", (s) => request(s.meta.put(value, key)));
}
