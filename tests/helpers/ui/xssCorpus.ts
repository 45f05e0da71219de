// Hostile message texts a peer could send, each carrying the word "xssprobe" (so search finds them)
// and each trying to run script or make markup: tags, attribute breakouts, javascript: and data:
// URLs, SVG, template and CSS tricks, entities, RTL overrides and the search snippet's own markers.
export const XSS_CORPUS: readonly string[] = [
  'xssprobe <script>window.__xss=1</script>',
  'xssprobe <img src=x onerror="window.__xss=2">',
  'xssprobe <svg onload="window.__xss=3"></svg>',
  'xssprobe <iframe src="javascript:window.top.__xss=4"></iframe>',
  'xssprobe "><img src=x onerror=window.__xss=5>',
  "xssprobe '><svg/onload=window.__xss=6>",
  'xssprobe javascript:window.__xss=7',
  'xssprobe https://example.org/"><img src=x onerror=window.__xss=8>',
  'xssprobe <a href="javascript:window.__xss=9">click</a>',
  'xssprobe <math><mtext><table><mglyph><style><img src=x onerror=window.__xss=10>',
  'xssprobe <details open ontoggle="window.__xss=11">',
  'xssprobe &lt;b&gt;not bold&lt;/b&gt; &#60;script&#62;',
  'xssprobe {{constructor.constructor("window.__xss=12")()}}',
  'xssprobe <style>*{display:none}</style>',
  'xssprobe \u202Egnp.exe \u0002marked\u0003 <b>bold</b>',
  'xssprobe data:text/html,<script>window.__xss=13</script>',
];
