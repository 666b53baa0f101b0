// Marks each labelled scroll region (pages/layout.py::scroll_region) whose content is wider
// than its box, so that its "swipe sideways" hint shows only where there is more to see.
(() => {
  if (window.__scrollHints) return;
  window.__scrollHints = true;
  const overflowing = (region) =>
    [region, ...region.querySelectorAll(".rt-ScrollAreaViewport")].some(
      (el) => el.scrollWidth > el.clientWidth + 1,
    );
  const mark = () => {
    for (const region of document.querySelectorAll(".scroll-region")) {
      const wide = overflowing(region);
      const box = region.parentElement;
      if (box.hasAttribute("data-overflowing") !== wide) {
        box.toggleAttribute("data-overflowing", wide);
      }
    }
  };
  let queued = false;
  const soon = () => {
    if (queued) return;
    queued = true;
    requestAnimationFrame(() => {
      queued = false;
      mark();
    });
  };
  new MutationObserver(soon).observe(document.body, { childList: true, subtree: true });
  window.addEventListener("resize", soon);
  soon();
})();
