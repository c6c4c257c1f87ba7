"""The version of the reference data that the order path keeps in memory."""

from __future__ import annotations

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from server.db.models.base import Base

__all__ = ["REFERENCE_TABLES", "ReferenceDataVersion"]

# Tables every order reads: the small ones in full, price list items (with their breaks)
# product by product as they are asked for; kept in memory per process
# (server/features/shared/reference_data.py).
REFERENCE_TABLES = (
    "territories",
    "territory_rules",
    "territory_assignments",
    "tax_rates",
    "price_lists",
    "price_list_items",
    "price_breaks",
)


class ReferenceDataVersion(Base):
    """One row whose token changes with every write to the reference tables.

    Database triggers (migrations 0004 and 0022) set a new random token on every INSERT, UPDATE and
    DELETE of those tables, whoever writes: services, CSV imports, the demo loader, another
    server process, a person at the SQL prompt. A process that finds the token it loaded
    its copy at knows the copy is current. Random rather than counted, so a rolled-back
    change can never hand out a token that a later commit then reuses.
    """

    __tablename__ = "reference_data_version"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token: Mapped[str] = mapped_column(String(40))
