"""The office's brand colour, made safe for WCAG 2.1 AA before any page uses it.

Pages use ``--brand`` for text on white, for white text on it, and next to ``--brand-tint``;
a light configured colour is darkened until each of those pairs reaches 4.5:1.
"""
from __future__ import annotations

import re

DEFAULT = "#1f4e79"
WHITE = (255, 255, 255)
AA_TEXT = 4.5
_HEX = re.compile(r"#?([0-9a-fA-F]{6}|[0-9a-fA-F]{3})")

RGB = tuple[int, int, int]


def parse(color: str | None) -> RGB:
    match = _HEX.fullmatch((color or "").strip()) or _HEX.fullmatch(DEFAULT)
    digits = match.group(1)
    if len(digits) == 3:
        digits = "".join(d * 2 for d in digits)
    return int(digits[0:2], 16), int(digits[2:4], 16), int(digits[4:6], 16)


def hex_of(rgb: RGB) -> str:
    return "#" + "".join(f"{c:02x}" for c in rgb)


def _linear(channel: int) -> float:
    c = channel / 255
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def luminance(rgb: RGB) -> float:
    r, g, b = (_linear(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: RGB, b: RGB) -> float:
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def mix(a: RGB, b: RGB, weight: float) -> RGB:
    """``weight`` of ``a`` and the rest of ``b``."""
    return tuple(round(x * weight + y * (1 - weight)) for x, y in zip(a, b))  # type: ignore[return-value]


def palette(color: str | None) -> dict[str, str]:
    configured = parse(color)
    tint = mix(configured, WHITE, 0.1)
    brand = configured
    while contrast(brand, tint) < AA_TEXT:
        brand = mix(brand, (0, 0, 0), 0.9)
    return {"brand": hex_of(brand), "brand-dark": hex_of(mix(brand, (0, 0, 0), 0.75)), "brand-tint": hex_of(tint)}


def css(color: str | None) -> str:
    variables = "".join(f"--{name}:{value};" for name, value in palette(color).items())
    return f":root{{{variables}}}\n"
