"""A generic OData v4 client (python-odata, unmodified) against a running commerce host.

Usage: python3 odata_client.py <service root URL, e.g. http://127.0.0.1:8080/Commerce/> [customer token]
With a customer token, the client also reads that customer's cart by key: python-odata's get()
filters the set (`$filter=Id eq '...'`), so that is a listing of the customer's carts.
The host must serve the demo catalog with a small page size (the caller sets it), so that
reading a filtered set needs several pages. Exits non-zero on the first failed check.
"""
import sys
from decimal import Decimal

from odata import ODataService


def check(condition, message):
    if not condition:
        print("FAILED: " + message, file=sys.stderr)
        sys.exit(1)


def main(url, token=None):
    service = ODataService(url, reflect_entities=True)
    for name in ["Products", "Categories", "Carts", "Customers", "SalesOrders", "OrgUnits"]:
        check(name in service.entities, "$metadata reflects the entity set " + name)
    check("GetTenderTypes" in service.functions, "$metadata reflects the function import GetTenderTypes")

    Products = service.entities["Products"]

    # Filter, order and top, translated by the client into OData query options.
    top = service.query(Products).filter(Products.BasePrice > 100).order_by(Products.Name.asc()).limit(5).all()
    check(len(top) == 5, "top 5 of a filtered set")
    check(all(p.BasePrice > Decimal(100) for p in top), "every row passes the filter")
    names = [p.Name for p in top]
    check(names == sorted(names), "rows come ordered by name")

    # Server-driven paging: the client follows @odata.nextLink until the set is read.
    expensive = list(service.query(Products).filter(Products.BasePrice > 450))
    check(len(expensive) > 25, "a filtered read spanning several pages (got %d rows)" % len(expensive))
    check(len({p.RecordId for p in expensive}) == len(expensive), "paging repeats no row")
    check(all(p.BasePrice > Decimal(450) for p in expensive), "every page honours the filter")

    # Entity by key, and string functions.
    first = service.query(Products).get(68719476737)
    check(first.Name == "Classic Shirt 1", "entity by key")
    shirts = service.query(Products).filter(Products.Name.startswith("Classic Shirt")).limit(3).all()
    check(len(shirts) == 3 and all(p.Name.startswith("Classic Shirt") for p in shirts), "startswith filter")

    # $expand of a navigation property, read back into related objects.
    expanded = service.query(Products).expand(Products.Categories).filter(Products.Name.startswith("Classic Shirt")).limit(2).all()
    check(len(expanded) == 2 and all([c.Name for c in p.Categories] == ["Shirts"] for p in expanded), "$expand=Categories")

    # A bound action on the Products collection: the channel's active prices.
    prices = Products.GetActivePrices(productIds=[68719476737, 68719476738], customerId=None)
    check([p["ProductId"] for p in prices] == [68719476737, 68719476738], "GetActivePrices answers each product")
    check(prices[0]["BasePrice"] == float(first.BasePrice) and prices[0]["AdjustedPrice"] <= prices[0]["BasePrice"],
          "GetActivePrices: the base price of the product, the adjusted price no higher")

    # An unbound function from the model.
    tender_types = service.functions["GetTenderTypes"]()
    check([t["TenderTypeId"] for t in tender_types] == ["3", "8"], "GetTenderTypes() answers the channel's tender types")

    if token:
        import requests
        headers = {"Authorization": "Bearer " + token}
        created = requests.post(url + "Carts", json={"ReceiptEmail": "py@example.com"}, headers=headers)
        check(created.status_code == 201, "a customer creates a cart (%d)" % created.status_code)
        cart_id = created.json()["Id"]
        signed_in = ODataService(url, reflect_entities=True, extra_headers=headers)
        Carts = signed_in.entities["Carts"]
        cart = signed_in.query(Carts).get(cart_id)
        check(cart is not None and cart.Id == cart_id and cart.ReceiptEmail == "py@example.com", "get() of the customer's own cart by key")
        SalesOrders = signed_in.entities["SalesOrders"]
        check(list(signed_in.query(SalesOrders)) == [], "a new customer lists no sales orders")

    print("python-odata: all checks passed")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else None)
