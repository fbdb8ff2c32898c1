"""Demo lead assignment: the demo reps' seniority, capacity and limits, and 华东大区's rule
switched on with a few new leads waiting in its queue (from the website and an exhibition),
so that the preview has something to show: 张伟 (senior, 1.5) takes three leads for every one
of 陈静's (new hire, 0.5), A-tier leads go to senior reps only, at most one more each — so the
second A-tier lead waits on the unassigned list with its reason. Small demos only."""

from decimal import Decimal

from kehu.accounts.models import Team, User
from kehu.assignment import services
from kehu.core.text import name_key, pinyin_forms, search_document
from kehu.customers.models import Channel, Customer

PROFILES = {  # username: seniority, capacity, customer limit
    "rep": (User.Seniority.SENIOR, Decimal("1.5"), None),
    "rep2": (User.Seniority.REGULAR, Decimal("1.0"), None),
    "rep3": (User.Seniority.NEW, Decimal("0.5"), 400),
}
LEADS = [  # name, tier, channel
    ("宁波海曙智联科技有限公司", "A", "官网咨询"),
    ("嘉兴南湖新材料有限公司", "", "展会"),
    ("绍兴越城纺织品进出口有限公司", "B", "官网咨询"),
    ("苏州工业园区星海医疗器械有限公司", "A", "展会"),
    ("无锡锡山精工机械有限公司", "C", "线上广告"),
    ("温州鹿城鞋业有限公司", "", "官网咨询"),
    ("南通崇川物流有限公司", "B", "展会"),
]


def generate(director: User) -> dict:
    for username, (seniority, capacity, limit) in PROFILES.items():
        User.objects.filter(username=username).update(
            seniority=seniority, capacity=capacity, customer_limit=limit
        )
    east = Team.objects.filter(name="华东大区").first()
    rep = User.objects.filter(username="rep").first()
    if east is None or rep is None:
        return {"rules": 0, "leads": 0}
    # A-tier: senior reps only, one more than 张伟 owns now (the second A lead waits)
    a_owned = Customer.objects.filter(owner=rep, tier="A").count()
    services.save_rule(
        director,
        east,
        {"active": True, "respect_limit": True},
        [{"tier": "A", "seniorities": [User.Seniority.SENIOR], "max_per_rep": a_owned + 1}],
    )
    channels = dict(Channel.objects.values_list("name", "pk"))
    existing = set(
        Customer.objects.filter(name__in=[n for n, _t, _c in LEADS]).values_list("name", flat=True)
    )
    # written as a data load would (no post_save: they stay in the queue for the preview)
    made = Customer.objects.bulk_create(
        Customer(
            name=name,
            tier=tier,
            team=east,
            channel_id=channels.get(channel),
            status=Customer.Status.LEAD,
            name_key=name_key(name)[:100],
            name_pinyin=pinyin_forms(name)[0][:255],
            search_text=search_document(name),
            created_by=director,
            updated_by=director,
        )
        for name, tier, channel in LEADS
        if name not in existing
    )
    return {"rules": 1, "leads": len(made)}
