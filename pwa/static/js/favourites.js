// The rep's favourite customers. The server keeps them (`customer.favourite` in a push,
// `favourite_customers` in the pull), so they follow the rep to another phone; stars made
// here count at once, offline too, until a pull brings them back as the server's.

import { h } from "./dom.js";
import { enqueue, listItems } from "./outbox.js";
import { LAST_PULL_BEGAN, currentUser, getEntity, getMeta } from "./store.js";

export const FAVOURITE_TYPE = "customer.favourite";

/** The favourites as pulled, with this phone's stars the pull does not hold yet applied in
 * order (`items`: the outbox, when the caller has just read it). */
export async function favouriteIds(items = null) {
  const user = currentUser();
  if (!user) return [];
  const [pulled, outbox, pullBegan] = await Promise.all([
    getEntity("favourite_customers", user.id), items || listItems(), getMeta(LAST_PULL_BEGAN),
  ]);
  let ids = [...(pulled?.customer_ids || [])];
  for (const item of starsNotYetPulled(outbox, pullBegan)) {
    ids = ids.filter((x) => x !== item.entity_id);
    if (item.args.favourite) ids.unshift(item.entity_id);
  }
  return ids;
}

/** Stars still to send, and stars the server accepted after the last full pull began: a
 * pull that began before the server took a star does not carry it, so without these the
 * star would go out between the push's answer and the next pull. */
export function starsNotYetPulled(items, pullBegan) {
  return items
    .filter((i) => i.type === FAVOURITE_TYPE)
    .filter((i) => i.state !== "done" || (
      i.outcome?.status === "accepted" && Boolean(i.settled_at) && (!pullBegan || i.settled_at > pullBegan)
    ))
    .sort((a, b) => a.seq - b.seq);
}

export async function setFavourite(customer, favourite) {
  await enqueue({
    type: FAVOURITE_TYPE, entity_id: customer.id, args: { favourite },
    label: `${favourite ? "Star" : "Unstar"} ${customer.legal_name}`,
  });
}

/** A toggle button: pressed while the customer is a favourite. */
export function starButton(customer, isFavourite) {
  return h("button", {
    type: "button", id: "favourite", class: "button star", "aria-pressed": String(isFavourite),
    onclick: (event) => {
      event.currentTarget.disabled = true;
      setFavourite(customer, !isFavourite);
    },
  }, isFavourite ? "★ Favourite" : "☆ Add to favourites");
}
