"""Street addresses for points: 黄河大道136号 / 136 Huanghe Avenue, or the corner of a crossing."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from demo.streets import StreetNet

# Chinese doorplates count from the start of the street (west or south end), odd numbers on
# the left-hand side and even on the right, one number per frontage of roughly this length.
_NUMBER_SPACING_M = 20.0
CORNER_RADIUS_M = 45.0
_CHUNK = 4_096  # points per brute-force pass: keeps the distance matrix near 16 MB
_KEY_STRIDE = 1e6  # > the extent of any street in metres: (street, position) as one sortable number
_CORNERS = {
    (1, 1): ("东北角", "NE"),
    (0, 1): ("西北角", "NW"),
    (1, 0): ("东南角", "SE"),
    (0, 0): ("西南角", "SW"),
}


@dataclass(frozen=True, slots=True)
class Addresses:
    """One address per point in both languages, with the street it is on and its number
    (0 for a corner address)."""

    zh: np.ndarray
    en: np.ndarray
    street: np.ndarray
    number: np.ndarray


class Addresser:
    """Finds the nearest street piece and crossing for points in the plan frame."""

    def __init__(self, net: StreetNet) -> None:
        seg = net.segments
        self._ns = (seg["orient"] == "ns").to_numpy()
        self._at = seg["at"].to_numpy()
        self._lo = seg["lo"].to_numpy()
        self._hi = seg["hi"].to_numpy()
        self._street = seg["street"].to_numpy()
        start = seg.groupby("street")["lo"].min()
        self._start = start.reindex(range(len(net.streets))).to_numpy()
        self._names = net.streets["name"].to_numpy(dtype=object)
        self._names_en = net.streets["name_en"].to_numpy(dtype=object)
        self._orient_ns = (net.streets["orient"] == "ns").to_numpy()
        cr = net.crossings
        self._cu, self._cv = cr["u"].to_numpy(), cr["v"].to_numpy()
        self._c_ns, self._c_ew = cr["ns_street"].to_numpy(), cr["ew_street"].to_numpy()
        # Every crossing listed once under each of its two streets, sorted by street and
        # position along it, for a binary search from a point on a known street.
        street = np.concatenate([self._c_ns, self._c_ew])
        along = np.concatenate([self._cv, self._cu])
        key = street * _KEY_STRIDE + along
        order = np.argsort(key, kind="stable")
        self._x_key = key[order]
        self._x_street = street[order]
        self._x_crossing = np.concatenate([np.arange(len(cr)), np.arange(len(cr))])[order]

    def nearest_piece(self, u: np.ndarray, v: np.ndarray) -> np.ndarray:
        """Index of the nearest street piece for each point (brute force in chunks: a few
        hundred pieces, so this beats building an index)."""
        out = np.empty(len(u), dtype="int64")
        for s in range(0, len(u), _CHUNK):
            pu, pv = u[s : s + _CHUNK, None], v[s : s + _CHUNK, None]
            across = np.where(self._ns, np.abs(pu - self._at), np.abs(pv - self._at))
            along = np.where(self._ns, pv, pu)
            beyond = np.maximum(np.maximum(self._lo - along, along - self._hi), 0)
            out[s : s + _CHUNK] = np.argmin(across * across + beyond * beyond, axis=1)
        return out

    def nearest_crossing_on(
        self, u: np.ndarray, v: np.ndarray, piece: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """(index, distance in m) of the nearest crossing on each point's street (the street
        of `piece`), found by binary search along the street; distance inf when none."""
        street = self._street[piece]
        along = np.where(self._ns[piece], v, u)
        key = street * _KEY_STRIDE + along
        pos = np.searchsorted(self._x_key, key)
        best = np.full(len(u), -1, dtype="int64")
        dist = np.full(len(u), np.inf)
        for cand in (pos - 1, pos):
            ok = (cand >= 0) & (cand < len(self._x_key))
            c = np.clip(cand, 0, len(self._x_key) - 1)
            ok &= self._x_street[c] == street
            k = self._x_crossing[c]
            d = np.hypot(u - self._cu[k], v - self._cv[k])
            better = ok & (d < dist)
            best = np.where(better, k, best)
            dist = np.where(better, d, dist)
        return best, dist

    def house_numbers(self, u: np.ndarray, v: np.ndarray, piece: np.ndarray) -> np.ndarray:
        """The doorplate number a point on street piece `piece` would carry."""
        street = self._street[piece]
        ns = self._ns[piece]
        along = np.where(ns, v, u) - self._start[street]
        # Facing the direction numbers grow (north or east), the left is west or north.
        left = np.where(ns, u < self._at[piece], v > self._at[piece])
        return 2 * np.floor(np.maximum(along, 0) / _NUMBER_SPACING_M).astype("int64") + np.where(left, 1, 2)

    def addresses(self, u: np.ndarray, v: np.ndarray, *, corners: bool = True) -> Addresses:
        """Addresses for points; within CORNER_RADIUS_M of a crossing (when `corners`) the
        corner form, otherwise street and house number."""
        u, v = np.asarray(u, dtype="float64"), np.asarray(v, dtype="float64")
        piece = self.nearest_piece(u, v)
        street = self._street[piece]
        number = self.house_numbers(u, v, piece)
        num = pd.Series(number).astype(str).to_numpy(dtype=object)
        zh = self._names[street] + num + "号"
        en = num + " " + self._names_en[street]
        if corners:
            k, dist = self.nearest_crossing_on(u, v, piece)
            near = dist < CORNER_RADIUS_M
            if near.any():
                cz, ce = self._corner_text(u[near], v[near], k[near])
                zh[near], en[near] = cz, ce
                number = np.where(near, 0, number)
        return Addresses(zh=zh, en=en, street=street, number=number)

    def _corner_text(self, u: np.ndarray, v: np.ndarray, k: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        east = (u >= self._cu[k]).astype(int)
        north = (v >= self._cv[k]).astype(int)
        corner_zh = np.array([_CORNERS[(e, n)][0] for e, n in zip(east, north, strict=True)], dtype=object)
        corner_en = np.array([_CORNERS[(e, n)][1] for e, n in zip(east, north, strict=True)], dtype=object)
        a, b = self._c_ns[k], self._c_ew[k]
        zh = self._names[a] + "与" + self._names[b] + "交叉口" + corner_zh
        en = corner_en + " corner of " + self._names_en[a] + " and " + self._names_en[b]
        return zh, en

    def crossing_names(self, k: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Short names of crossings as on bus-stop signs: 天山大街海河道口 / Tianshan St & Haihe Rd."""
        a, b = self._c_ns[k], self._c_ew[k]
        zh = self._names[a] + self._names[b] + "口"
        en = np.array(
            [
                f"{_abbrev(x)} & {_abbrev(y)}"
                for x, y in zip(self._names_en[a], self._names_en[b], strict=True)
            ],
            dtype=object,
        )
        return zh, en


def _abbrev(name: str) -> str:
    for long, short in ((" Street", " St"), (" Road", " Rd"), (" Avenue", " Ave"), (" Lane", " Ln")):
        if name.endswith(long):
            return name[: -len(long)] + short
    return name
