"""What each importable sheet holds: its columns, the header names people give them (Chinese
and English, with synonyms from the seed sheets 表1/表2), and how a cell is read.

A column's `read(value, context)` returns the parsed value or raises ValueError with a message
for the person; `context` carries what the reader needs (the header's unit, name lookups).
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _

from kehu.customers.models import Customer

from .export import DATE, DATETIME, INTEGER, MONEY, TEXT
from .reader import header_key


@dataclass(frozen=True)
class SheetColumn:
    key: str
    label: object  # lazy: the header written in exports and templates
    synonyms: tuple[str, ...] = ()
    kind: str = TEXT
    choices: Callable[[], list[str]] | None = None  # drop-down values in exports/templates
    max_length: int | None = None
    help: object = ""

    def names(self) -> list[str]:
        return [str(self.label), *self.synonyms]


def _labels(choices) -> Callable[[], list[str]]:
    return lambda: [str(label) for _v, label in choices]


@dataclass(frozen=True)
class SheetKind:
    key: str
    label: object
    columns: tuple[SheetColumn, ...]
    required: tuple[str, ...] = ()
    template_name: object = ""
    extra_synonyms: dict = field(default_factory=dict)

    def column(self, key: str) -> SheetColumn:
        return next(c for c in self.columns if c.key == key)

    def synonyms(self) -> dict[str, str]:
        """header_key(name) → column key, every name and synonym, in both languages."""
        table: dict[str, str] = {}
        for column in self.columns:
            for name in column.names():
                table.setdefault(header_key(name), column.key)
            # the other language's label, whatever language this request is in
            from django.utils import translation

            for lang in ("zh-hans", "en"):
                with translation.override(lang):
                    table.setdefault(header_key(str(column.label)), column.key)
        table.update({header_key(k): v for k, v in self.extra_synonyms.items()})
        return table


IGNORE = "_ignore"

CUSTOMERS = SheetKind(
    key="customers",
    label=_("Customers and contacts"),
    template_name=_("customer base table"),
    required=("name",),
    # columns people keep that Kehu computes itself: recognised so they are not mistaken
    extra_synonyms={"序号": IGNORE, "No": IGNORE, "#": IGNORE},
    columns=(
        SheetColumn(
            "id",
            _("customer number"),
            ("客户编号", "客户ID", "编号", "Customer ID", "Customer No", "ID", "Kehu ID"),
            INTEGER,
            help=_("Kehu's number for the customer: keep it to update the same customer."),
        ),
        SheetColumn(
            "name",
            _("customer name"),
            (
                "客户名称",
                "公司名称",
                "客户",
                "企业名称",
                "单位名称",
                "客户全称",
                "Customer",
                "Customer name",
                "Company",
                "Company name",
                "Account",
                "Name",
            ),
            max_length=100,
        ),
        SheetColumn(
            "kind",
            _("type"),
            ("客户类型", "类型", "Type", "Customer type"),
            choices=_labels(Customer.Kind.choices),
        ),
        SheetColumn(
            "industry", _("industry"), ("所属行业", "行业", "行业类别", "Industry"), max_length=50
        ),
        SheetColumn(
            "province", _("province"), ("省份", "省", "所在省份", "Province"), max_length=20
        ),
        SheetColumn(
            "city",
            _("city"),
            ("城市", "市", "所在城市", "地区", "所在地区", "City", "Region"),
            max_length=30,
        ),
        SheetColumn(
            "size",
            _("company size"),
            ("企业规模", "公司规模", "规模", "人员规模", "Size", "Company size"),
            choices=_labels(Customer.Size.choices),
        ),
        SheetColumn(
            "address", _("address"), ("地址", "公司地址", "详细地址", "Address"), max_length=200
        ),
        SheetColumn(
            "channel",
            _("source channel"),
            (
                "来源渠道",
                "客户来源",
                "渠道",
                "来源",
                "获客渠道",
                "Source",
                "Channel",
                "Lead source",
            ),
            max_length=50,
        ),
        SheetColumn(
            "status",
            _("status"),
            ("客户状态", "状态", "生命周期", "阶段", "Status", "Lifecycle"),
            choices=_labels(Customer.Status.choices),
        ),
        SheetColumn(
            "tier",
            _("tier"),
            ("客户分级", "客户等级", "分级", "等级", "级别", "客户层级", "Tier", "Level", "Grade"),
            choices=lambda: list(Customer.TIERS),
        ),
        SheetColumn(
            "owner",
            _("owner"),
            (
                "负责人",
                "客户负责人",
                "销售",
                "销售负责人",
                "客户经理",
                "跟进人",
                "业务员",
                "Owner",
                "Sales rep",
                "Account manager",
            ),
        ),
        SheetColumn(
            "contact_name",
            _("contact"),
            ("联系人", "联系人姓名", "主要联系人", "Contact", "Contact name"),
            max_length=50,
        ),
        SheetColumn(
            "contact_title",
            _("title"),
            ("职位", "职务", "岗位", "Title", "Position"),
            max_length=50,
        ),
        SheetColumn(
            "phone",
            _("phone"),
            (
                "联系方式",
                "电话",
                "手机",
                "手机号",
                "联系电话",
                "手机号码",
                "Phone",
                "Mobile",
                "Tel",
            ),
        ),
        SheetColumn(
            "email", _("e-mail"), ("邮箱", "电子邮件", "电子邮箱", "Email", "E-mail", "Mail")
        ),
        SheetColumn(
            "wechat", _("WeChat"), ("微信", "微信号", "WeChat", "Wechat ID"), max_length=50
        ),
        SheetColumn(
            "core_needs", _("core needs"), ("核心需求", "需求", "客户需求", "Needs", "Core needs")
        ),
        SheetColumn(
            "product_preferences",
            _("product preferences"),
            ("产品偏好", "偏好产品", "意向产品", "Product preferences", "Products"),
            max_length=200,
        ),
        SheetColumn(
            "annual_budget",
            _("annual purchase budget (CNY)"),
            ("年度采购预算", "采购预算", "年度预算", "预算", "Budget", "Annual budget"),
            MONEY,
        ),
        SheetColumn(
            "cooperation_amount",
            _("historical cooperation amount (CNY)"),
            (
                "历史合作金额",
                "合作金额",
                "累计合作金额",
                "历史成交金额",
                "成交金额",
                "Cooperation amount",
                "Historical amount",
                "Revenue",
            ),
            MONEY,
        ),
        SheetColumn(
            "last_contact_at",
            _("last follow-up"),
            (
                "最后跟进时间",
                "最近跟进时间",
                "最后跟进",
                "上次跟进时间",
                "最后联系时间",
                "Last follow-up",
                "Last contact",
                "Last contacted",
            ),
            DATETIME,
        ),
        SheetColumn(
            "satisfaction",
            _("satisfaction"),
            ("满意度", "客户满意度", "Satisfaction", "CSAT"),
            INTEGER,
            choices=lambda: ["1", "2", "3", "4", "5"],
        ),
        SheetColumn("tags", _("tags"), ("标签", "客户标签", "Tags", "Labels")),
        SheetColumn("notes", _("notes"), ("备注", "说明", "Notes", "Remarks", "Comment")),
    ),
)

KINDS = {k.key: k for k in (CUSTOMERS,)}
EXPORT_DATE_KINDS = (DATE, DATETIME)
