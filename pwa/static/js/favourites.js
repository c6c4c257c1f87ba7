// The rep's favourite customers. The server keeps them (`customer.favourite` in a push,
// `favourite_customers` in the pull), so they follow the rep to another phone; stars made
// here and not yet sent count at once, offline too.

import { h } from "./dom.js";
import { enqueue, listItems } from "./outbox.js";
import { pendingItems } from "./outbox-core.js";
import { currentUser, getEntity } from "./store.js";

export const FAVOURITE_TYPE = "customer.favourite";

/** The favourites as pulled, with the stars still waiting to be sent applied in order
 * (`items`: the outbox, when the caller has just read it). */
export async function favouriteIds(items = null) {
  const user = currentUser();
  if (!user) return [];
  const [pulled, outbox] = await Promise.all([getEntity("favourite_customers", user.id), items || listItems()]);
  let ids = [...(pulled?.customer_ids || [])];
  for (const item of pendingItems(outbox)) {
    if (item.type !== FAVOURITE_TYPE) continue;
    ids = ids.filter((x) => x !== item.entity_id);
    if (item.args.favourite) ids.unshift(item.entity_id);
  }
  return ids;
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
