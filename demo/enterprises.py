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
# R&D intensity (share of revenue) by chain: pharma and electronics invest most.
_RD_INTENSITY = {
    "biomedicine": (0.04, 0.14),
    "electronic_information": (0.04, 0.12),
    "new_materials": (0.02, 0.07),
    "intelligent_manufacturing": (0.02, 0.08),
    None: (0.0, 0.025),
}
_SERVICE_PREFIXES = ("51", "64", "65", "70", "72", "73", "75", "84")
_REVENUE_MEDIAN = 2500.0  # 10,000 yuan; sizes are lognormal with a heavy tail
_REVENUE_SIGMA = 1.5
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
    last complete year, sizes heavy-tailed, growth per firm with yearly noise."""
    last_year = today.year - 1
    years = np.arange(spec.figures_first_year, last_year + 1)
    n = len(ent)
    size = rng.lognormal(np.log(_REVENUE_MEDIAN), _REVENUE_SIGMA, n) * np.where(weak, 0.08, 1.0)
    size *= np.clip(age_years / 8, 0.2, 1.5)  # young firms are still small
    growth = rng.normal(0.08, 0.08, n)
    rd_lo_hi = np.array([_RD_INTENSITY[c if isinstance(c, str) else None] for c in ent["chain"]])
    rd_share = rng.uniform(rd_lo_hi[:, 0], rd_lo_hi[:, 1])
    tax_rate = rng.uniform(0.03, 0.08, n)
    revenue_per_employee = rng.lognormal(np.log(45.0), 0.4, n)  # 10,000 yuan a head
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
    rd = rev * rd_share[i] * np.exp(rng.normal(0, 0.15, len(i)))
    frame = pd.DataFrame(
        {
            "enterprise_id": ent["id"].to_numpy()[i],
            "year": years[j],
            "revenue": np.round(rev, 1),
            "tax": np.round(rev * tax_rate[i] * np.exp(rng.normal(0, 0.2, len(i))), 1),
            "employees": np.maximum(3, np.round(rev / revenue_per_employee[i])).astype("int64"),
            "rd_spending": np.round(rd, 1),
            "patents": rng.poisson(rd / 150.0).astype("int64"),  # about one grant per 1.5 million yuan of R&D
        }
    )
    return frame
