"""Draws the portal's icon (an indigo tile with three rising bars) as ``assets/favicon.ico``
(16, 32 and 48 px). Run once when the icon changes; the file is committed."""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

INDIGO = (62, 99, 221, 255)  # Radix indigo 9, the theme's accent
WHITE = (255, 255, 255, 255)
TARGET = Path(__file__).resolve().parent.parent / "assets" / "favicon.ico"


def draw(size: int = 256) -> Image.Image:
    image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    pen = ImageDraw.Draw(image)
    pen.rounded_rectangle((0, 0, size - 1, size - 1), radius=size // 5, fill=INDIGO)
    width, gap, floor = size // 7, size // 14, size * 13 // 16
    left = (size - 3 * width - 2 * gap) // 2
    for i, height in enumerate((size * 5 // 16, size * 8 // 16, size * 11 // 16)):
        x = left + i * (width + gap)
        pen.rectangle((x, floor - height, x + width, floor), fill=WHITE)
    return image


def main() -> None:
    draw().save(TARGET, format="ICO", sizes=[(16, 16), (32, 32), (48, 48)])
    print(f"wrote {TARGET} ({TARGET.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
