"""Fulfilment: packing and shipping allocated goods, delivery, and the order's progress."""
