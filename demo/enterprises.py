"""The park's enterprises: names, founding, industry class, chain link, place and yearly figures."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import numpy as np
import pandas as pd

from demo.blocks import Blocks
from demo.chains import chain_links, other_industries
from demo.geometry import Projection
from demo.names import trade_names
from demo.placement import in_blocks
from demo.spec import ParkSpec, apportion
from demo.streets import StreetNet

_CHAIN_SHARE = 0.55  # of the park's enterprises belong to one of its four chains
_WEAK_SIZE = (1, 2)
# Words for the line of business in a company name, by class prefix (first match wins).
_TRADE_WORDS = (
    (("2761", "2762"), (("生物技术", "Biotechnology"), ("生物制品", "Biological Products"))),
    (("2770",), (("医疗用品", "Medical Supplies"),)),
    (("2780",), (("药用包装", "Pharmaceutical Packaging"), ("药用辅料", "Pharmaceutical Excipients"))),
    (("27",), (("药业", "Pharmaceutical"), ("制药", "Pharmaceutical"), ("医药", "Pharmaceutical"))),
    (("3544",), (("制药装备", "Pharmaceutical Equipment"),)),
    (("358",), (("医疗器械", "Medical Devices"), ("医疗设备", "Medical Equipment"))),
    (("7340",), (("医药科技", "Medical Technology"),)),
    (("515",), (("医药", "Pharmaceutical Trading"), ("医疗器械销售", "Medical Device Sales"))),
    (("84",), (("健康管理", "Health Management"), ("医学检验", "Medical Laboratory"))),
    (("6520",), (("微电子", "Microelectronics"), ("芯片设计", "Chip Design"))),
    (
        ("39",),
        (
            ("电子", "Electronics"),
            ("电子科技", "Electronic Technology"),
            ("光电", "Optoelectronics"),
            ("通信技术", "Communication Technology"),
            ("智能科技", "Intelligent Technology"),
        ),
    ),
    (
        ("64", "65"),
        (
            ("软件", "Software"),
            ("信息技术", "Information Technology"),
            ("数据科技", "Data Technology"),
            ("网络科技", "Network Technology"),
            ("物联网科技", "IoT Technology"),
        ),
    ),
    (("3841", "3849"), (("新能源", "New Energy"), ("电池", "Battery"))),
    (
        ("26", "3061", "3062", "3073", "3091", "3240", "3393", "3985", "2921", "42"),
        (("新材料", "New Materials"), ("化工", "Chemical"), ("材料科技", "Materials Technology")),
    ),
    (("3491", "3492"), (("机器人", "Robotics"),)),
    (("40",), (("仪器仪表", "Instruments"), ("自动化", "Automation"))),
    (("13", "14"), (("食品", "Food"), ("乳业", "Dairy"))),
    (("54", "59", "7224"), (("物流", "Logistics"), ("供应链管理", "Supply Chain Management"))),
    (("51",), (("商贸", "Trading"), ("贸易", "Trading"))),
    (("47", "48"), (("建设工程", "Construction Engineering"), ("建筑安装", "Construction and Installation"))),
    (("70",), (("房地产开发", "Real Estate Development"), ("物业服务", "Property Services"))),
    (
        ("72",),
        (
            ("企业管理咨询", "Management Consulting"),
            ("人力资源服务", "Human Resources Services"),
            ("投资", "Investment"),
        ),
    ),
    (("29", "33", "3489"), (("金属制品", "Metal Products"), ("塑料制品", "Plastic Products"))),
    (
        ("34", "35", "36", "38", "43"),
        (
            ("智能装备", "Intelligent Equipment"),
            ("机械", "Machinery"),
            ("自动化", "Automation"),
            ("精密机械", "Precision Machinery"),
        ),
    ),
)
_DEFAULT_WORDS = (("科技", "Technology"), ("技术开发", "Technology Development"))
_REGIONS = ((("石家庄", "Shijiazhuang"), 0.65), (("河北", "Hebei"), 0.25), (("", ""), 0.10))
# R&D intensity (share of revenue) by chain: pharma and electronics invest most. Every firm's
# yearly intensity stays within _RD_BOUNDS.
_RD_INTENSITY = {
    "biomedicine": (0.035, 0.075),
    "electronic_information": (0.03, 0.07),
    "new_materials": (0.015, 0.045),
    "intelligent_manufacturing": (0.02, 0.05),
    None: (0.01, 0.02),
}
_RD_BOUNDS = (0.01, 0.08)
_TAX_BOUNDS = (0.02, 0.10)  # taxes paid as a share of revenue (3–8 % for most firms)
_PATENTS_PER_RD = 1 / 150.0  # about one grant per 1.5 million yuan of R&D
_SERVICE_PREFIXES = ("51", "64", "65", "70", "72", "73", "75", "84")
# Firm sizes are lognormal (revenue of the last complete year, 10,000 yuan) with a heavy tail,
# scaled by chain (pharmaceuticals lead a national biological-industry base) and bent smoothly
# below the largest revenue a firm of its kind reaches in a ~21 km² core. Employees follow
# from revenue per head (10,000 yuan, lognormal around the kind's median), never above the
# kind's largest workforce. First match of class prefix wins; the last row is the default.
_REVENUE_MEDIAN = 2500.0
_REVENUE_SIGMA = 1.45
_CHAIN_SCALE = {"biomedicine": 1.4, None: 0.6}
# Each chain has a chain leader (链主企业): an established firm (at least this many years old;
# in biomedicine a drug maker) at this fraction of its kind's largest revenue.
_LEADER_MIN_AGE = 8.0
_LEADER_SIZE = (0.55, 0.8)
_LEADER_CLASS = {"biomedicine": "27"}
_REVENUE_PER_HEAD_SIGMA = 0.35
_CAP_SHARPNESS = 3.0
# fmt: off
_SCALE = (  # (class prefixes, revenue per head, largest revenue, largest workforce)
    (("27",),                     130.0, 900_000.0, 7_500),  # pharmaceutical manufacturing
    (("51",),                     450.0, 250_000.0,   800),  # wholesale trade
    (("70",),                     280.0, 250_000.0, 1_200),  # real estate
    (("54", "59", "7224"),         90.0, 150_000.0, 2_500),  # transport, storage, supply chain
    (("64", "65"),                 60.0, 150_000.0, 3_000),  # software and IT services
    (("72", "73", "75", "84"),     55.0,  60_000.0, 1_500),  # business, research, health services
    (("47", "48"),                 90.0, 200_000.0, 3_000),  # construction
    (("13", "14"),                150.0, 300_000.0, 3_500),  # food
    ((),                          125.0, 350_000.0, 4_000),  # other manufacturing
)
# fmt: on
_FOUNDED_FROM = date(1992, 1, 1)


def build_enterprises(
    spec: ParkSpec, net: StreetNet, blocks: Blocks, proj: Projection, now: datetime, rng: np.random.Generator
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(enterprises, enterprise_figures). Chain enterprises fill their links by weight; weak
    links get one or two small, young enterprises and empty links none."""
    links = chain_links()
    code, link, chain = _industries(spec, links, rng)
    n = len(code)
    weak = np.isin(link, links.loc[links["target"] == "weak", "link"].to_numpy())
    names = _names(code, rng)
    today = pd.Timestamp(now).tz_convert("UTC").date()
    age_years = np.where(weak, rng.uniform(0.5, 3.0, n), rng.exponential(9.0, n))
    span = (today - _FOUNDED_FROM).days / 365.25
    age_years = np.clip(age_years, 0.3, span)
    founded = [today - timedelta(days=int(a * 365.25)) for a in age_years]
    # Services sit in commercial blocks, everything else in industrial ones.
    service = np.array([c.startswith(_SERVICE_PREFIXES) for c in code])
    u, v = np.empty(n), np.empty(n)
    for flag, use in ((True, "commercial"), (False, "industrial")):
        idx = np.flatnonzero(service == flag)
        weights = (blocks.land_use == use) * net.blocks.area
        if len(idx):
            u[idx], v[idx], _ = in_blocks(net.blocks, rng, len(idx), weights if weights.sum() > 0 else None)
    lon, lat = proj.to_lonlat(u, v)
    ids = [f"ENT{k + 1:04d}" for k in range(n)]
    enterprises = pd.DataFrame(
        {
            "id": ids,
            "name": [z for z, _ in names],
            "name_en": [e for _, e in names],
            "founded_on": founded,
            "industry_code": code,
            "chain_link": link,
            "lon": lon,
            "lat": lat,
            "chain": chain,
        }
    )
    figures = _figures(spec, enterprises, weak, age_years, today, rng)
    return enterprises, figures


def _industries(spec: ParkSpec, links: pd.DataFrame, rng: np.random.Generator):
    n_chain = int(round(_CHAIN_SHARE * spec.enterprises))
    chains = links.drop_duplicates("chain")
    per_chain = apportion(chains["chain_share"].to_numpy(), n_chain)
    code, link, chain = [], [], []
    for (_, ch), total in zip(chains.iterrows(), per_chain, strict=True):
        rows = links[links["chain"] == ch["chain"]]
        sizes = {
            r["link"]: (int(rng.integers(_WEAK_SIZE[0], _WEAK_SIZE[1] + 1)) if r["target"] == "weak" else 0)
            for _, r in rows.iterrows()
        }
        filled = rows[rows["target"] == "filled"]
        rest = apportion(filled["weight"].to_numpy(), int(total) - sum(sizes.values()))
        sizes.update(dict(zip(filled["link"], rest.tolist(), strict=True)))
        for _, r in rows.iterrows():
            k = sizes[r["link"]]
            code += [r["codes"][i] for i in rng.integers(len(r["codes"]), size=k)]
            link += [r["link"]] * k
            chain += [r["chain"]] * k
    groups = other_industries()
    counts = apportion(np.array([wt for _, wt in groups]), spec.enterprises - len(code))
    for (codes, _), k in zip(groups, counts, strict=True):
        code += [codes[i] for i in rng.integers(len(codes), size=int(k))]
        link += [None] * int(k)
        chain += [None] * int(k)
    order = rng.permutation(len(code))
    return (
        np.array(code, dtype=object)[order],
        np.array(link, dtype=object)[order],
        np.array(chain, dtype=object)[order],
    )


def _names(code: np.ndarray, rng: np.random.Generator) -> list[tuple[str, str]]:
    """Registered names: region + trade name + line of business + company form, e.g.
    石家庄华康药业有限公司 / Shijiazhuang Huakang Pharmaceutical Co., Ltd."""
    trade = trade_names(rng, len(code))
    regions = [r for r, _ in _REGIONS]
    p = np.array([w for _, w in _REGIONS])
    out = []
    for k, c in enumerate(code):
        words = next((w for prefixes, w in _TRADE_WORDS if c.startswith(prefixes)), _DEFAULT_WORDS)
        word = words[rng.integers(len(words))]
        region = regions[rng.choice(len(regions), p=p)]
        form = ("股份有限公司", "Co., Ltd.") if rng.random() < 0.12 else ("有限公司", "Co., Ltd.")
        zh = f"{region[0]}{trade[k][0]}{word[0]}{form[0]}"
        en = " ".join(x for x in (region[1], trade[k][1], word[1], form[1]) if x)
        out.append((zh, en))
    return out


def _figures(
    spec: ParkSpec,
    ent: pd.DataFrame,
    weak: np.ndarray,
    age_years: np.ndarray,
    today: date,
    rng: np.random.Generator,
) -> pd.DataFrame:
    """Yearly figures from the later of the founding year and `spec.figures_first_year` to the
    last complete year, sizes heavy-tailed but bounded, growth per firm with yearly noise."""
    last_year = today.year - 1
    years = np.arange(spec.figures_first_year, last_year + 1)
    n = len(ent)
    kind = np.array([_scale_row(c) for c in ent["industry_code"]])
    per_head, revenue_cap, workforce_cap = (np.array([_SCALE[k][i] for k in kind]) for i in (1, 2, 3))
    chain = [c if isinstance(c, str) else None for c in ent["chain"]]
    scale = np.array([_CHAIN_SCALE.get(c, 1.0) for c in chain])
    size = rng.lognormal(np.log(_REVENUE_MEDIAN), _REVENUE_SIGMA, n) * scale * np.where(weak, 0.08, 1.0)
    size *= np.clip(age_years / 8, 0.2, 1.5)  # young firms are still small
    size = size / (1 + (size / revenue_cap) ** _CAP_SHARPNESS) ** (1 / _CAP_SHARPNESS)
    revenue_per_employee = per_head * rng.lognormal(0.0, _REVENUE_PER_HEAD_SIGMA, n)
    for leader in _chain_leaders(ent, weak, age_years, size):
        size[leader] = max(size[leader], revenue_cap[leader] * rng.uniform(*_LEADER_SIZE))
        revenue_per_employee[leader] = per_head[leader]  # many sites and lines: the kind's median
    growth = rng.normal(0.08, 0.08, n)
    rd_lo_hi = np.array([_RD_INTENSITY[c] for c in chain])
    rd_share = rng.uniform(rd_lo_hi[:, 0], rd_lo_hi[:, 1])
    tax_rate = rng.uniform(0.03, 0.08, n)
    founded_year = np.array([d.year for d in ent["founded_on"]])
    k_years = len(years)
    noise = rng.normal(0, 0.12, (n, k_years))
    # Revenue of the last year is `size`; earlier years divide out the growth, with noise.
    back = (last_year - years)[None, :]
    revenue = size[:, None] / (1 + growth[:, None]) ** back * np.exp(noise)
    first = founded_year[:, None] == years[None, :]
    revenue = np.where(first, revenue * rng.uniform(0.1, 0.6, (n, k_years)), revenue)  # a part year
    exists = founded_year[:, None] <= years[None, :]
    i, j = np.nonzero(exists)
    rev = revenue[i, j]
    m = len(i)
    rd = rev * np.clip(rd_share[i] * np.exp(rng.normal(0, 0.15, m)), *_RD_BOUNDS)
    tax = rev * np.clip(tax_rate[i] * np.exp(rng.normal(0, 0.2, m)), *_TAX_BOUNDS)
    employees = np.clip(np.round(rev / revenue_per_employee[i]), 3, workforce_cap[i])
    return pd.DataFrame(
        {
            "enterprise_id": ent["id"].to_numpy()[i],
            "year": years[j],
            "revenue": np.round(rev, 1),
            "tax": np.round(tax, 1),
            "employees": employees.astype("int64"),
            "rd_spending": np.round(rd, 1),
            "patents": rng.poisson(rd * _PATENTS_PER_RD).astype("int64"),
        }
    )


def _chain_leaders(ent: pd.DataFrame, weak: np.ndarray, age_years: np.ndarray, size: np.ndarray) -> list[int]:
    """Row of each chain's leader: its largest established firm (of the leader class, if any)."""
    leaders = []
    for chain in sorted(ent["chain"].dropna().unique()):
        ok = (ent["chain"] == chain).to_numpy() & ~weak & (age_years >= _LEADER_MIN_AGE)
        ok &= ent["industry_code"].str.startswith(_LEADER_CLASS.get(chain, "")).to_numpy()
        if ok.any():
            leaders.append(int(np.flatnonzero(ok)[np.argmax(size[ok])]))
    return leaders


def _scale_row(code: str) -> int:
    """Index of the _SCALE row for a GB/T 4754 class (the last row when no prefix matches)."""
    return next(k for k, (prefixes, *_) in enumerate(_SCALE) if not prefixes or code.startswith(prefixes))
