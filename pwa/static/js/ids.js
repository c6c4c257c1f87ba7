// Ids the phone gives to records it creates, so a record keeps one id from the moment it is
// entered offline to the moment the server stores it. Time-ordered UUIDs (version 7, RFC 9562),
// like the server's own: the first 48 bits are the time in milliseconds, the rest random, so
// a new record's key lands next to the previous one in every index on the server.
export function newId(now = Date.now()) {
  const b = crypto.getRandomValues(new Uint8Array(16));
  let ms = now;
  for (let i = 5; i >= 0; i -= 1) {
    b[i] = ms % 256;
    ms = Math.floor(ms / 256);
  }
  b[6] = (b[6] & 0x0f) | 0x70;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
