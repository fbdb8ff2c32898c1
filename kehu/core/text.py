"""Text normalisation shared by forms, importers and search: full/half width, phones, company
names and pinyin. Pure functions, no Django."""

import re
from functools import lru_cache

from pypinyin import Style, lazy_pinyin
from pypinyin.constants import PHRASES_DICT
from pypinyin.seg import mmseg

# Longest first, so "股份有限公司" is removed before "有限公司".
COMPANY_SUFFIXES = sorted(
    [
        "股份有限公司",
        "有限责任公司",
        "集团有限公司",
        "集团股份有限公司",
        "有限公司",
        "集团公司",
        "分公司",
        "集团",
        "公司",
        "co., ltd.",
        "co.,ltd.",
        "co. ltd.",
        "co ltd",
        "company limited",
        "limited",
        "ltd.",
        "ltd",
        "inc.",
        "inc",
        "corp.",
        "corporation",
    ],
    key=len,
    reverse=True,
)

# Region prefixes are dropped when comparing names for duplicates: 杭州云帆科技 and 云帆科技 are
# likely the same company.
REGION_PREFIXES = sorted(
    (
        "北京 上海 天津 重庆 河北 山西 辽宁 吉林 黑龙江 江苏 浙江 安徽 福建 江西 山东 河南 湖北 湖南 "
        "广东 海南 四川 贵州 云南 陕西 甘肃 青海 台湾 内蒙古 广西 西藏 宁夏 新疆 香港 澳门 中国 "
        "杭州 宁波 温州 绍兴 嘉兴 湖州 金华 台州 南京 苏州 无锡 常州 徐州 南通 扬州 广州 深圳 东莞 "
        "佛山 珠海 中山 惠州 厦门 福州 泉州 济南 青岛 烟台 潍坊 临沂 郑州 洛阳 武汉 宜昌 长沙 成都 "
        "绵阳 西安 合肥 南昌 昆明 贵阳 南宁 海口 三亚 沈阳 大连 长春 哈尔滨 石家庄 唐山 保定 廊坊 "
        "太原 兰州 银川 西宁 拉萨 乌鲁木齐 呼和浩特"
    ).split(),
    key=len,
    reverse=True,
)

MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")
# Landline: area code 0xx/0xxx with 7–8 digit number, optional extension handled before this.
LANDLINE_RE = re.compile(r"^0\d{2,3}\d{7,8}$")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


_HALF_WIDTH = {0x3000: " ", **{code: chr(code - 0xFEE0) for code in range(0xFF01, 0xFF5F)}}


_FULL_WIDTH_RE = re.compile("[\u3000\uff01-\uff5e]")


def to_half_width(value: str) -> str:
    """Full-width letters, digits and punctuation to half width; ideographic space to space.
    Chinese characters are untouched. NFKC does this, but it also rewrites things people want
    kept (e.g. ① → 1), so only the full-width block is mapped."""
    if value.isascii() or not _FULL_WIDTH_RE.search(value):  # most text: nothing to map
        return value  # (a pattern finds none ten times faster than translate maps none)
    return value.translate(_HALF_WIDTH)


def clean_text(value: str | None) -> str:
    """Half width, trimmed, inner runs of white space folded to one space."""
    if not value:
        return ""
    return " ".join(to_half_width(value).split())  # split(): runs of any white space


_HAN_RE = re.compile(r"[\u4e00-\u9fff]")


def clean_company_name(value: str | None) -> str:
    """What we store as the name: half width, trimmed, Chinese brackets kept as typed people
    expect them in a company name (（ ）), but ASCII brackets around Chinese turned into them."""
    name = clean_text(value)
    if _HAN_RE.search(name):
        name = name.replace("(", "（").replace(")", "）")
    return name


_BRACKETED_RE = re.compile(r"[（(][^)）]*[)）]")
_PUNCT_RE = re.compile(r"[\s.,，。·\-_'\"“”]+")
_SUFFIX_SET = frozenset(
    s.replace(" ", "").replace(",", "").replace(".", "") for s in COMPANY_SUFFIXES
)
# One match each instead of a slice and a set lookup per length (a third of the key's cost):
# the suffixes are matched at the start of the reversed key, the longest first, and the
# look-ahead keeps at least one character (two for a prefix) of the name.
_SUFFIX_RE = re.compile(
    "(?:"
    + "|".join(re.escape(s[::-1]) for s in sorted(_SUFFIX_SET, key=len, reverse=True))
    + ")(?=.)",
    re.S,
)
_PREFIX_RE = re.compile(
    "(?:" + "|".join(re.escape(p) for p in REGION_PREFIXES) + ")(?=..)",  # longest first
    re.S,
)


def name_key(value: str | None) -> str:
    """The comparison key for duplicate detection: lower case, no spaces or punctuation, region
    prefix and company suffix removed. "杭州云帆科技有限公司" → "云帆科技"."""
    key = clean_text(value).lower()
    if "(" in key or "（" in key:
        key = _BRACKETED_RE.sub("", key)  # (杭州) or （集团）
    key = _PUNCT_RE.sub("", key)
    m = _SUFFIX_RE.match(key[::-1])  # longest suffix first; "集团有限公司" after "股份" etc.
    if m:
        key = key[: -m.end()]
        m = _SUFFIX_RE.match(key[::-1])
        if m:
            key = key[: -m.end()]
    for _ in range(2):  # "浙江省杭州…": province, then city (longest prefix first)
        m = _PREFIX_RE.match(key)
        if not m:
            break
        key = key[m.end() :]
        for tail in ("省", "市", "区"):
            if key.startswith(tail) and len(key) > 2:
                key = key[1:]
    return key


_NORMALISED_WITH_EXTENSION_RE = re.compile(r"\d+-\d{1,6}")
_EXTENSION_RE = re.compile(r"(?:转|ext\.?|x|#)\s*(\d{1,6})\s*$", flags=re.IGNORECASE)
_NON_DIGIT_RE = re.compile(r"\D")
_SERVICE_RE = re.compile(r"400\d{7}")


def normalize_phone(value: str | None) -> str:
    """Digits (and a leading +86 dropped) for storage and matching. "+86 138-1234-5678" →
    "13812345678"; "(0571) 8888 6666 转 123" → "057188886666-123". Returns "" for empty input;
    validity is checked separately by `is_valid_phone`."""
    if not value:
        return ""
    text = to_half_width(value).strip()
    ext = ""
    if text.isascii() and text.isdigit():  # most cells: digits only
        international, digits = False, text
    else:
        if _NORMALISED_WITH_EXTENSION_RE.fullmatch(text):  # already normalised, with an extension
            return text
        m = _EXTENSION_RE.search(text)
        if m:
            ext = m.group(1)
            text = text[: m.start()]
        international = text.lstrip().startswith("+")
        digits = _NON_DIGIT_RE.sub("", text)
    if international and digits.startswith("86"):
        digits = digits[2:]
    elif digits.startswith("0086"):
        digits = digits[4:]
    elif digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    return f"{digits}-{ext}" if ext and digits else digits


def is_valid_phone(normalized: str) -> bool:
    number = normalized.split("-", 1)[0]
    return bool(
        MOBILE_RE.match(number) or LANDLINE_RE.match(number) or _SERVICE_RE.fullmatch(number)
    )


def normalize_email(value: str | None) -> str:
    return clean_text(value).lower()


def is_valid_email(value: str) -> bool:
    return bool(EMAIL_RE.match(value)) and len(value) <= 254


@lru_cache(maxsize=65536)
def pinyin_forms(value: str) -> tuple[str, str]:
    """(full pinyin, initials) in lower case without separators: "科技有限公司" →
    ("kejiyouxiangongsi", "kjyxgs"). Latin letters and digits pass through in both."""
    text = clean_text(value).lower()
    if not text:
        return "", ""
    full = lazy_pinyin(text, style=Style.NORMAL, errors="default")
    initials = lazy_pinyin(text, style=Style.FIRST_LETTER, errors="default")
    keep = re.compile(r"[^0-9a-z]")
    return keep.sub("", "".join(full)), keep.sub("", "".join(initials))


@lru_cache(maxsize=65536)
def _word_pinyin(word: str) -> tuple[str, str]:
    return pinyin_forms.__wrapped__(word)


def pinyin_by_words(name: str) -> tuple[str, str]:
    """pinyin_forms(name) at a tenth of its cost (~200 µs a name): pypinyin cuts a name into
    dictionary phrases and single characters (forward maximum matching) and reads each piece on
    its own, so the name's pinyin is the pieces' pinyin joined, and company names share a few
    thousand pieces and endings. (Joining the pinyin of arbitrary parts is not the same: "郑州|长城"
    reads as 州长, zhou-zhang.)"""
    text = clean_text(name).lower()
    if not text:
        return "", ""
    if len(text) > 500:  # a piece a call: keep far from the recursion limit
        return pinyin_forms.__wrapped__(text)
    return _tail_pinyin(text)


@lru_cache(maxsize=65536)
def _tail_pinyin(remain: str) -> tuple[str, str]:
    """The pinyin of what is left of a name: pypinyin's segmenter (`mmseg.Seg.cut`, strict
    mode) step for step, one piece at a time, so that an ending many names share ("科技有限公司")
    is cut and read once. bulk_pinyin_reader checks it still agrees with pypinyin."""
    prefixes, phrases = mmseg.seg._prefix_set._set, PHRASES_DICT
    last = 0  # length of the longest dictionary phrase starting the text
    for index in range(len(remain)):
        word = remain[: index + 1]
        if word not in prefixes:
            cut = last or 1
            break
        if word in phrases:
            last = index + 1
    else:  # the whole text is the start of some phrase
        if not last:  # and no phrase itself: each character on its own
            full, initials = zip(*(_word_pinyin(c) for c in remain), strict=True)
            return "".join(full), "".join(initials)
        cut = last
    full, initials = _word_pinyin(remain[:cut])
    if cut == len(remain):
        return full, initials
    rest_full, rest_initials = _tail_pinyin(remain[cut:])
    return full + rest_full, initials + rest_initials


_PINYIN_SAMPLE = [
    "郑州长城恒食品集团有限公司",
    "成都卓越长工程设计股份有限公司",
    "重庆银行",
    "杭州云帆科技有限公司",
    "上海行知教育咨询有限公司",
    "北京乐享音乐文化传播有限公司",
    "深圳长江重工(集团)有限公司",
    "ABC 国际贸易 Co., Ltd.",
]


@lru_cache(maxsize=1)
def bulk_pinyin_reader():
    """The reader for bulk writers (demo data, imports): the fast word-by-word reader when it
    agrees with pinyin_forms on a sample (it leans on pypinyin's segmenter), else
    pinyin_forms itself."""
    try:
        if all(pinyin_by_words(n) == pinyin_forms.__wrapped__(n) for n in _PINYIN_SAMPLE):
            return pinyin_by_words
    except Exception:  # noqa: BLE001 - pypinyin internals moved: take the slow, sure path
        pass
    return pinyin_forms


def search_document(
    name: str,
    phones: list[str] | tuple[str, ...] = (),
    extra: list[str] | tuple[str, ...] = (),
    pinyin: tuple[str, str] | None = None,
) -> str:
    """The text a customer is found by: name, its pinyin and initials, phone digits and any
    extra words (e-mails, contact names), lower case, separated by '|' so that a substring
    search never matches across two parts. Bulk writers pass `pinyin` when they already have
    it (pypinyin costs ~0.1 ms a name)."""
    full, initials = pinyin or pinyin_forms(name)
    parts = [clean_text(name).lower(), full, initials]
    parts += [p.replace("-", "") for p in phones if p]
    parts += [clean_text(x).lower() for x in extra if x]
    return "|".join(dict.fromkeys(filter(None, parts)))  # each part once, in order
