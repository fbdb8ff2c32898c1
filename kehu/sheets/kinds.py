"""What each importable sheet holds: its columns, the header names people give them (Chinese
and English, with synonyms from the seed sheets 表1/表2), and how a cell is read.

A column's `read(value, context)` returns the parsed value or raises ValueError with a message
for the person; `context` carries what the reader needs (the header's unit, name lookups).
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _

from kehu.customers.models import Customer

from .export import DATE, DATETIME, INTEGER, MONEY, NUMBER, TEXT
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


def _customer_columns() -> tuple[SheetColumn, ...]:
    """How a row of another sheet names its customer: the number, else the exact name."""
    return (
        SheetColumn(
            "customer_id",
            _("customer number"),
            ("客户编号", "客户ID", "Customer ID", "Customer No"),
            INTEGER,
        ),
        SheetColumn(
            "customer",
            _("customer name"),
            ("客户名称", "公司名称", "客户", "企业名称", "Customer", "Customer name", "Company"),
        ),
    )


def _method_labels() -> list[str]:
    from kehu.followups.models import Method

    return [str(label) for _v, label in Method.choices]


INTERACTIONS = SheetKind(
    key="interactions",
    label=_("Interaction log"),
    template_name=_("interaction log"),
    required=("content",),
    extra_synonyms={"序号": IGNORE, "No": IGNORE, "#": IGNORE},
    columns=(
        SheetColumn(
            "id", _("interaction number"), ("跟进记录编号", "记录编号", "Interaction ID"), INTEGER
        ),
        *_customer_columns(),
        SheetColumn("contact", _("contact"), ("联系人", "客户联系人", "Contact")),
        SheetColumn(
            "user", _("followed up by"), ("跟进人", "记录人", "销售", "负责人", "User", "Sales rep")
        ),
        SheetColumn(
            "at",
            _("time"),
            ("跟进时间", "联系时间", "沟通时间", "日期", "时间", "Time", "Date"),
            DATETIME,
        ),
        SheetColumn(
            "method",
            _("method"),
            ("跟进方式", "方式", "沟通方式", "Method"),
            choices=_method_labels,
        ),
        SheetColumn(
            "content", _("content"), ("跟进内容", "沟通内容", "内容", "记录", "Content", "Notes")
        ),
        SheetColumn("feedback", _("customer feedback"), ("客户反馈", "反馈", "Feedback")),
        SheetColumn("next_step", _("next step"), ("下一步计划", "下一步", "后续计划", "Next step")),
        SheetColumn(
            "next_on",
            _("next follow-up"),
            ("下次跟进时间", "下次跟进日期", "下次跟进", "Next follow-up"),
            DATE,
        ),
        SheetColumn("deal", _("deal"), ("商机", "商机名称", "项目", "Deal")),
    ),
)


def _status_labels() -> list[str]:
    from kehu.followups.models import FollowUp

    return [str(label) for _v, label in FollowUp.Status.choices]


FOLLOWUPS = SheetKind(
    key="followups",
    label=_("Follow-up plan"),
    template_name=_("customer follow-up plan"),
    required=("due_on",),
    extra_synonyms={"序号": IGNORE, "No": IGNORE, "#": IGNORE},
    columns=(
        SheetColumn("id", _("plan number"), ("计划编号", "跟进计划编号", "Plan ID"), INTEGER),
        *_customer_columns(),
        SheetColumn("owner", _("owner"), ("负责人", "跟进人", "销售", "Owner")),
        SheetColumn(
            "due_on",
            _("due date"),
            (
                "计划跟进时间",
                "跟进时间",
                "计划时间",
                "计划日期",
                "跟进日期",
                "截止日期",
                "Due",
                "Due date",
            ),
            DATE,
        ),
        SheetColumn(
            "method",
            _("method"),
            ("跟进方式", "方式", "Method"),
            choices=_method_labels,
        ),
        SheetColumn(
            "content",
            _("planned content"),
            ("计划内容", "跟进内容", "跟进目的", "内容", "Planned content", "Content"),
        ),
        SheetColumn(
            "status",
            _("status"),
            ("完成状态", "状态", "完成情况", "执行情况", "Status"),
            choices=_status_labels,
        ),
        SheetColumn("result", _("result"), ("跟进结果", "结果", "客户反馈", "Result", "Feedback")),
        SheetColumn("next_step", _("next step"), ("下一步计划", "下一步", "Next step")),
    ),
)


def _stage_names() -> list[str]:
    from kehu.pipeline.models import Stage

    return list(
        Stage.objects.filter(active=True).order_by("position").values_list("name", flat=True)
    )


DEALS = SheetKind(
    key="deals",
    label=_("Deals"),
    template_name=_("deal list"),
    required=("title",),
    extra_synonyms={"序号": IGNORE, "No": IGNORE, "#": IGNORE},
    columns=(
        SheetColumn("id", _("deal number"), ("商机编号", "Deal ID"), INTEGER),
        *_customer_columns(),
        SheetColumn(
            "title", _("deal"), ("商机名称", "商机", "项目名称", "项目", "标题", "Deal", "Title")
        ),
        SheetColumn(
            "amount",
            _("amount (CNY)"),
            ("金额", "商机金额", "预计金额", "合同金额", "Amount"),
            MONEY,
        ),
        SheetColumn(
            "expected_close",
            _("expected close"),
            ("预计成交日期", "预计签约日期", "预计成交时间", "Expected close", "Close date"),
            DATE,
        ),
        SheetColumn(
            "stage", _("stage"), ("阶段", "销售阶段", "商机阶段", "Stage"), choices=_stage_names
        ),
        SheetColumn(
            "probability",
            _("probability (%)"),
            ("赢率", "成交概率", "概率", "Probability", "Win probability"),
            INTEGER,
        ),
        SheetColumn("owner", _("owner"), ("负责人", "销售", "Owner")),
        SheetColumn(
            "channel", _("source channel"), ("来源渠道", "渠道", "来源", "Channel", "Source")
        ),
        SheetColumn("products", _("products"), ("产品", "意向产品", "Products")),
        SheetColumn("competitor", _("competitor"), ("竞争对手", "竞品", "Competitor")),
        SheetColumn(
            "lost_reason", _("lost reason"), ("输单原因", "丢单原因", "失败原因", "Lost reason")
        ),
    ),
)


def _collection_labels() -> list[str]:
    from kehu.sales.models import Order

    return [str(label) for _v, label in Order.Collection.choices]


ORDERS = SheetKind(
    key="orders",
    label=_("Orders (purchase records)"),
    template_name=_("purchase records"),
    required=("order_date",),
    extra_synonyms={"序号": IGNORE, "No": IGNORE, "#": IGNORE},
    columns=(
        SheetColumn("id", _("order number"), ("订单号", "Order ID", "Order No"), INTEGER),
        *_customer_columns(),
        SheetColumn(
            "number", _("contract number"), ("合同号", "合同编号", "Contract", "Contract No")
        ),
        SheetColumn(
            "order_date",
            _("order date"),
            ("购买日期", "订单日期", "成交日期", "日期", "Order date", "Date"),
            DATE,
        ),
        SheetColumn("product", _("products"), ("产品", "产品名称", "商品", "Product")),
        SheetColumn("quantity", _("quantity"), ("数量", "购买数量", "Qty", "Quantity"), NUMBER),
        SheetColumn("unit_price", _("unit price (CNY)"), ("单价", "Unit price", "Price"), MONEY),
        SheetColumn(
            "amount",
            _("amount (CNY)"),
            ("金额", "订单金额", "购买金额", "合同金额", "Amount"),
            MONEY,
        ),
        SheetColumn("owner", _("owner"), ("负责人", "销售", "Owner")),
        SheetColumn(
            "collection",
            _("collection"),
            ("回款状态", "回款", "Collection", "Payment status"),
            choices=_collection_labels,
        ),
        SheetColumn(
            "collected_amount",
            _("collected (CNY)"),
            ("回款金额", "已回款", "已回款金额", "Collected"),
            MONEY,
        ),
        SheetColumn(
            "collected_on", _("collected on"), ("回款日期", "回款时间", "Collected on"), DATE
        ),
        SheetColumn("notes", _("notes"), ("备注", "说明", "Notes", "Remarks")),
    ),
)

KINDS = {k.key: k for k in (CUSTOMERS, INTERACTIONS, FOLLOWUPS, DEALS, ORDERS)}
