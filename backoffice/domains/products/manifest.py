"""Wealth-management products and their publishing workflow (maker ≠ checker)."""

from __future__ import annotations

from backoffice.platform.manifest import EDIT, Count, Manifest, Module, Plan, Shortcut, Stat
from models.products import Product, ProductStatus

MANIFEST = Manifest(
    name="products",
    module=Module(
        "products",
        "/products",
        "package",
        "product",
        ("products", "products_on_sale"),
        landing=Plan(
            work=(
                Count("product_drafts", "product", filters={"status": "draft"}),
                Count(
                    "product_in_review", "product", filters={"status": "in_review"}, tone="amber"
                ),
                Count(
                    "changes_pending", "product_change", filters={"status": "pending"}, tone="amber"
                ),
            ),
            approvals=("product", "product_change"),
            figures=(Count("products_suspended", "product", filters={"status": "suspended"}),),
            shortcuts=(
                Shortcut("new_product", "/r/product/record?id=new", "plus", ("product", "create")),
            ),
        ),
    ),
    rights=("product",),
    grants={
        "product_manager": {"product": (*EDIT, "approve", "publish")},
        "marketing": {"product": ("view",)},
        "platform": {"product": ("view",)},
        "compliance": {"product": ("view",)},
        "cs_agent": {"product": ("view",)},
        "cs_lead": {"product": ("view",)},
        "executive": {"product": ("view",)},
    },
    stats=(
        Stat("products", Product, "product"),
        Stat(
            "products_on_sale",
            Product,
            "product",
            where=lambda: Product.status == ProductStatus.ON_SALE,
        ),
    ),
)
