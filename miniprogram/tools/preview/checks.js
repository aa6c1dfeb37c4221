/**
 * Layout checks, run inside the page's frame in Chromium (the function is serialised by
 * Playwright, so it must not use anything from this module's scope).
 * Returns a list of problems (strings); an empty list means the screen passes.
 */
function layoutChecks(opts) {
  const problems = [];
  const doc = document;
  const win = window;
  const MIN_TAP = opts.minTap || 44;
  const short = (s) => String(s || '').replace(/\s+/g, ' ').trim().slice(0, 40);
  const visible = (el) => {
    const r = el.getBoundingClientRect();
    if (r.width < 1 || r.height < 1) return false;
    for (let e = el; e && e.nodeType === 1; e = e.parentElement) {
      const cs = getComputedStyle(e);
      if (cs.display === 'none' || cs.visibility === 'hidden' || Number(cs.opacity) === 0) return false;
    }
    return true;
  };
  const all = Array.from(doc.body.querySelectorAll('*'));
  const ownText = (el) =>
    Array.from(el.childNodes)
      .filter((n) => n.nodeType === 3)
      .map((n) => n.nodeValue)
      .join('')
      .trim();

  // 1. words that must never reach a user
  const texts = [doc.body.innerText].concat(opts.chromeTexts || []);
  const RULES = [
    [/\b[0-9a-f]{24}\b/i, 'raw id'],
    [/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/, 'ISO timestamp'],
    [/\b(undefined|null|NaN|Infinity)\b/, 'undefined/null/NaN'],
    [/\[object \w+\]/, 'object printed as text'],
    [/\b(submitted|dispatched|accepted|in_service|completed|closed|cancelled|rejected|pending|approved|resident|member|secretary|admin)\b/, 'English status or role'],
    [/\{\{|\}\}/, 'unrendered template']
  ];
  texts.forEach((t) => {
    RULES.forEach(([re, what]) => {
      const m = re.exec(t || '');
      if (m) {
        const at = Math.max(0, m.index - 12);
        problems.push(what + ' visible: "…' + short(t.slice(at, m.index + m[0].length + 12)) + '…"');
      }
    });
  });

  // 2. nothing hidden under a bar fixed to the bottom (scrolled to the end)
  const bars = all.filter((el) => {
    const cs = getComputedStyle(el);
    if (cs.position !== 'fixed' || !visible(el)) return false;
    const r = el.getBoundingClientRect();
    return r.bottom >= win.innerHeight - 1 && r.height < win.innerHeight / 2;
  });
  const inBar = (el) => bars.some((b) => b.contains(el));
  win.scrollTo(0, doc.documentElement.scrollHeight);
  const leaves = all.filter((el) => visible(el) && !inBar(el) && (ownText(el) || el.hasAttribute('data-pv-tap')));
  bars.forEach((bar) => {
    const top = bar.getBoundingClientRect().top;
    leaves.forEach((el) => {
      const r = el.getBoundingClientRect();
      if (r.bottom > top + 0.5 && r.top < win.innerHeight) {
        problems.push('hidden under the bottom bar by ' + Math.round(r.bottom - top) + 'px: "' + short(el.innerText || el.textContent) + '"');
      }
    });
  });
  win.scrollTo(0, 0);

  // 3. text that overflows its card or the screen, or leaves one character alone on a line
  const box = (el) => {
    for (let e = el.parentElement; e && e !== doc.body; e = e.parentElement) {
      if (/(^|\s)[\w-]+--(card|oc|banner|bottom-bar)(\s|$)/.test(e.className || '')) return e;
    }
    return null;
  };
  all.forEach((el) => {
    const text = ownText(el);
    if (!text || !visible(el)) return;
    const cs = getComputedStyle(el);
    const card = box(el);
    // where the glyphs are (a box can be narrower than its text), unless something clips them on purpose
    let clipsOnPurpose = false;
    for (let e = el; e && e !== card && e !== doc.body; e = e.parentElement) {
      if (getComputedStyle(e).overflow !== 'visible') clipsOnPurpose = true;
    }
    const range = doc.createRange();
    range.selectNodeContents(el);
    const box1 = el.getBoundingClientRect();
    const glyphs = range.getBoundingClientRect();
    const r = clipsOnPurpose ? box1 : { left: Math.min(box1.left, glyphs.left), right: Math.max(box1.right, glyphs.right) };
    if (r.right > win.innerWidth + 0.5 || r.left < -0.5) problems.push('text off screen: "' + short(text) + '"');
    if (card) {
      const c = card.getBoundingClientRect();
      if (r.right > c.right + 0.5 || r.left < c.left - 0.5) problems.push('text overflows its card: "' + short(text) + '"');
    }
    // cut on purpose: an ellipsis, or a line clamp (which ends in one)
    const clamped = (cs.webkitLineClamp && cs.webkitLineClamp !== 'none') || /-webkit-box/.test(cs.display);
    const clipped = cs.overflow !== 'visible' && cs.textOverflow !== 'ellipsis' && !clamped && !(el.parentElement && getComputedStyle(el.parentElement).webkitLineClamp !== 'none');
    if (clipped && (el.scrollWidth > el.clientWidth + 1 || el.scrollHeight > el.clientHeight + 2)) problems.push('text cut off: "' + short(text) + '"');
    // a short label (name, title, tag) wrapping with one character left on the last line
    // (not when a line clamp cut it: its last lines are hidden behind the ellipsis)
    const full = (el.innerText || '').trim();
    const cutByClamp = clamped && el.scrollHeight > el.clientHeight + 2;
    if (full.length > 1 && full.length <= 40 && el.children.length <= 3 && cs.whiteSpace !== 'nowrap' && !cutByClamp) {
      const range = doc.createRange();
      const nodes = [];
      const walker = doc.createTreeWalker(el, NodeFilter.SHOW_TEXT);
      for (let n = walker.nextNode(); n; n = walker.nextNode()) if (n.nodeValue.trim()) nodes.push(n);
      const chars = [];
      nodes.forEach((n) => {
        for (let i = 0; i < n.nodeValue.length; i++) if (n.nodeValue[i].trim()) chars.push([n, i]);
      });
      if (chars.length > 2) {
        const top = (c) => {
          range.setStart(c[0], c[1]);
          range.setEnd(c[0], c[1] + 1);
          const rr = range.getBoundingClientRect();
          return rr.top + rr.height / 2;
        };
        // the characters on the last line, punctuation not counted (「址）」 is one character alone)
        const lastTop = top(chars[chars.length - 1]);
        let i = chars.length - 1;
        while (i >= 0 && Math.abs(top(chars[i]) - lastTop) <= 4) i--;
        const onLast = chars.slice(i + 1).filter((c) => !/[，。、；：！？）」』》)\]}…,.;:!?'"”’]/.test(c[0].nodeValue[c[1]]));
        if (i >= 0 && onLast.length <= 1 && !el.querySelector('[data-pv-tap]')) problems.push('one character alone on the last line: "' + short(full) + '"');
      }
    }
  });

  // 3b. a number, time, phone number or Latin word is never split across two lines (「12月05日 0 / 1:51」, 「010- / 65012345」)
  const joined = (t, i) => /[0-9A-Za-z.:]/.test(t[i]) && /[0-9A-Za-z.:]/.test(t[i + 1]) && /[0-9A-Za-z]/.test(t[i] + t[i + 1]);
  // a break at the hyphen of a phone number or a date (010-65012345, 2026-12-03); not of a range (9:00-17:00) or a code
  const inDashedNumber = (t, i) => {
    if (t[i] !== '-' && t[i + 1] !== '-') return false;
    let a = i;
    let b = i + 1;
    while (a > 0 && /[0-9-]/.test(t[a - 1])) a--;
    while (b + 1 < t.length && /[0-9-]/.test(t[b + 1])) b++;
    return /^\d+(-\d+)+$/.test(t.slice(a, b + 1)) && !/[0-9A-Za-z:.]/.test((t[a - 1] || '') + (t[b + 1] || ''));
  };
  all.forEach((el) => {
    if (!visible(el)) return;
    Array.from(el.childNodes)
      .filter((n) => n.nodeType === 3 && /[0-9A-Za-z][0-9A-Za-z.:-]/.test(n.nodeValue))
      .forEach((n) => {
        const range = doc.createRange();
        const mid = (i) => {
          range.setStart(n, i);
          range.setEnd(n, i + 1);
          const rr = range.getBoundingClientRect();
          return rr.top + rr.height / 2;
        };
        const t = n.nodeValue;
        for (let i = 0; i + 1 < t.length; i++) {
          if ((joined(t, i) || inDashedNumber(t, i)) && mid(i + 1) - mid(i) > 4) {
            problems.push('number or word split across lines: "…' + short(t.slice(Math.max(0, i - 8), i + 9)) + '…"');
            break;
          }
        }
      });
  });

  // 4. tap targets at least 44 × 44 px
  all
    .filter((el) => el.hasAttribute('data-pv-tap') && visible(el))
    .forEach((el) => {
      const r = el.getBoundingClientRect();
      if (r.height < MIN_TAP - 0.5 || r.width < MIN_TAP - 0.5) {
        problems.push('tap target ' + Math.round(r.width) + '×' + Math.round(r.height) + 'px < ' + MIN_TAP + 'px: "' + short(el.innerText || el.textContent || el.tagName) + '"');
      }
    });

  // 5. nothing wider than the screen
  if (doc.documentElement.scrollWidth > win.innerWidth + 1) problems.push('page wider than the screen: ' + doc.documentElement.scrollWidth + 'px');

  return Array.from(new Set(problems));
}

module.exports = { layoutChecks };
