"""Reference lists everyone reads (tags, stages, products) and the caller's own identity."""

from decimal import Decimal

from ninja import Query, Router, Schema

from kehu.customers.models import Tag
from kehu.pipeline.models import Stage
from kehu.sales.models import Product

from ..common import PageParams, page, page_of, responses

router = Router(tags=["reference"])


class TagOut(Schema):
    id: int
    name: str
    group: str
    color: str


class StageOut(Schema):
    id: int
    name: str
    position: int
    kind: str
    probability: int
    active: bool


class ProductOut(Schema):
    id: int
    name: str
    code: str
    category: str | None
    unit_price: Decimal
    unit_cost: Decimal
    active: bool

    @staticmethod
    def resolve_category(obj):
        return obj.category.name if obj.category_id else None


class Me(Schema):
    id: int
    username: str
    name: str
    role: str
    team_id: int | None
    language: str


@router.get("/me", response=responses(Me), summary="Who the token belongs to", tags=["me"])
def me(request):
    return request.auth


@router.get("/tags", response=responses(page_of(TagOut)), summary="Tags")
def tags(request, paging: Query[PageParams]):
    return page(Tag.objects.all(), paging)


@router.get("/stages", response=responses(list[StageOut]), summary="Deal stages, in order")
def stages(request):
    return list(Stage.objects.order_by("position", "id"))


@router.get("/products", response=responses(page_of(ProductOut)), summary="Products")
def products(request, paging: Query[PageParams], active: bool | None = None):
    qs = Product.objects.select_related("category")
    if active is not None:
        qs = qs.filter(active=active)
    return page(qs, paging)
